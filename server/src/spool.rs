//! The outage spool: with Redis, the writes a batch could not get into Redis wait here, on the
//! node's own disk, until Redis takes them — one redb file, `{--spool-dir}/spool.redb`.
//!
//! The store writer puts a failed batch here (and every later batch, while the spool is not
//! empty, to keep the order) in one committed transaction *before* it broadcasts any of it, so
//! what a client saw survives a `kill -9` of the node during an outage as it survives one after.
//! It drains the spool into Redis oldest first and deletes only what Redis confirmed. A node that
//! starts with a spool that is not empty (it died mid-outage) drains it before it loads rooms
//! (see [`crate::room::writer`]).
//!
//! One table, `ops`: key `seq: u64` (one past the last key, 0 when empty, so numbering restarts
//! once the spool is drained), value one encoded [`WriteOp`] ([`encode`]; the format is in
//! `docs/STORE.md`). Every method is one redb transaction on the blocking pool; a write commits
//! with redb's default durability (fsync before `commit` returns).
//!
//! redb locks its file, so two processes cannot share a spool: the second one does not start
//! ([`SpoolError::InUse`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};

use crate::store::{DocKind, GroupId, StreamId, WriteOp};

/// The database file inside the spool directory.
pub const FILE_NAME: &str = "spool.redb";

const OPS: TableDefinition<u64, &[u8]> = TableDefinition::new("ops");

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("the outage spool {0} is in use by another kortvaeg process: give each node its own --spool-dir")]
    InUse(PathBuf),
    #[error("outage spool: {0}")]
    Io(String),
    #[error("outage spool: record {0} is corrupt: {1}")]
    Corrupt(u64, String),
}

pub type SpoolResult<T> = Result<T, SpoolError>;

fn io(e: impl std::fmt::Display) -> SpoolError {
    SpoolError::Io(e.to_string())
}

/// The redb-backed spool. Cheap to clone; cloning the inner `Arc` is how work reaches the
/// blocking pool.
#[derive(Clone)]
pub struct Spool {
    db: Arc<Database>,
}

impl Spool {
    /// Opens `dir/spool.redb`, creating the directory and the file if needed, and counts the ops
    /// waiting in it (left by a process that died during an outage). Blocks (file I/O, an
    /// integrity check, one commit): call it at startup.
    pub fn open(dir: &Path) -> SpoolResult<(Spool, usize)> {
        std::fs::create_dir_all(dir)
            .map_err(|e| SpoolError::Io(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join(FILE_NAME);
        let db = redb::Builder::new()
            .set_check_integrity_on_open(true)
            .create(&path)
            .map_err(|e| match e {
                redb::DatabaseError::DatabaseAlreadyOpen => SpoolError::InUse(path.clone()),
                e => SpoolError::Io(format!("cannot open {}: {e}", path.display())),
            })?;
        let txn = db.begin_write().map_err(io)?;
        let waiting = txn.open_table(OPS).map_err(io)?.len().map_err(io)? as usize;
        txn.commit().map_err(io)?;
        Ok((Spool { db: Arc::new(db) }, waiting))
    }

    async fn blocking<T, F>(&self, f: F) -> SpoolResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> SpoolResult<T> + Send + 'static,
    {
        let db = Arc::clone(&self.db);
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(|e| SpoolError::Io(format!("spool task failed: {e}")))?
    }

    /// Appends `ops` after the ones waiting, in order, in one commit (one fsync).
    pub async fn push(&self, ops: &[WriteOp]) -> SpoolResult<()> {
        let records: Vec<Vec<u8>> = ops.iter().map(encode).collect();
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(io)?;
            {
                let mut table = txn.open_table(OPS).map_err(io)?;
                let next = match table.last().map_err(io)? {
                    Some((key, _)) => key.value() + 1,
                    None => 0,
                };
                for (seq, record) in (next..).zip(&records) {
                    table.insert(seq, record.as_slice()).map_err(io)?;
                }
            }
            txn.commit().map_err(io)
        })
        .await
    }

    /// The oldest `n` ops (fewer if fewer wait), oldest first, each with its key for
    /// [`Spool::remove_through`].
    pub async fn oldest(&self, n: usize) -> SpoolResult<Vec<(u64, WriteOp)>> {
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(io)?;
            let table = txn.open_table(OPS).map_err(io)?;
            table
                .iter()
                .map_err(io)?
                .take(n)
                .map(|entry| {
                    let (key, value) = entry.map_err(io)?;
                    let seq = key.value();
                    decode(value.value())
                        .map(|op| (seq, op))
                        .map_err(|e| SpoolError::Corrupt(seq, e))
                })
                .collect()
        })
        .await
    }

    /// Deletes every op up to and including key `seq` (what the store has confirmed).
    pub async fn remove_through(&self, seq: u64) -> SpoolResult<()> {
        self.blocking(move |db| {
            let txn = db.begin_write().map_err(io)?;
            txn.open_table(OPS)
                .map_err(io)?
                .retain_in(..=seq, |_, _| false)
                .map_err(io)?;
            txn.commit().map_err(io)
        })
        .await
    }
}

const APPEND: u8 = b'A';
const COMPACT: u8 = b'C';

/// One op as a spool record: a tag (`A` append, `C` compact), the document (0 wall, 1 control,
/// 2 a group document followed by its column id's length, u8, and ASCII bytes),
/// the room id's length (u32, little-endian) and UTF-8 bytes; a compaction then has a flag for
/// its stream id `upto` (0: none; 1: ms and seq follow, u64 little-endian each); the rest of
/// the record is the Yjs update (append) or state (compact).
fn encode(op: &WriteOp) -> Vec<u8> {
    let (tag, room, doc, payload): (u8, &str, DocKind, &[u8]) = match op {
        WriteOp::Append { room, doc, update } => (APPEND, room, *doc, update),
        WriteOp::Compact {
            room, doc, state, ..
        } => (COMPACT, room, *doc, state),
    };
    let mut out = Vec::with_capacity(2 + 4 + room.len() + 17 + payload.len());
    out.push(tag);
    match doc {
        DocKind::Wall => out.push(0),
        DocKind::Control => out.push(1),
        DocKind::Group(id) => {
            out.push(2);
            out.push(id.as_str().len() as u8);
            out.extend_from_slice(id.as_str().as_bytes());
        }
    }
    out.extend_from_slice(&(room.len() as u32).to_le_bytes());
    out.extend_from_slice(room.as_bytes());
    if let WriteOp::Compact { upto, .. } = op {
        match upto {
            None => out.push(0),
            Some(id) => {
                out.push(1);
                out.extend_from_slice(&id.ms.to_le_bytes());
                out.extend_from_slice(&id.seq.to_le_bytes());
            }
        }
    }
    out.extend_from_slice(payload);
    out
}

/// The op of a record made by [`encode`].
fn decode(record: &[u8]) -> Result<WriteOp, String> {
    let mut rest = record;
    let mut take = |n: usize| -> Result<&[u8], String> {
        let (head, tail) = rest.split_at_checked(n).ok_or("record too short")?;
        rest = tail;
        Ok(head)
    };
    let u64_le = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("8 bytes"));
    let tag = take(1)?[0];
    let doc = match take(1)?[0] {
        0 => DocKind::Wall,
        1 => DocKind::Control,
        2 => {
            let len = take(1)?[0] as usize;
            let id = std::str::from_utf8(take(len)?).map_err(|_| "group id is not UTF-8")?;
            DocKind::Group(GroupId::new(id).ok_or("not a group id")?)
        }
        other => return Err(format!("unknown document {other}")),
    };
    let len = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
    let room = String::from_utf8(take(len)?.to_vec()).map_err(|_| "room id is not UTF-8")?;
    match tag {
        APPEND => Ok(WriteOp::Append {
            room,
            doc,
            update: Bytes::copy_from_slice(rest),
        }),
        COMPACT => {
            let upto = match take(1)?[0] {
                0 => None,
                1 => Some(StreamId {
                    ms: u64_le(take(8)?),
                    seq: u64_le(take(8)?),
                }),
                other => return Err(format!("unknown stream id flag {other}")),
            };
            Ok(WriteOp::Compact {
                room,
                doc,
                state: rest.to_vec(),
                upto,
                // Only Redis spools, and its compactions say `upto` (module `store`).
                newer: 0,
            })
        }
        other => Err(format!("unknown tag {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn append(room: &str, doc: DocKind, update: &[u8]) -> WriteOp {
        WriteOp::Append {
            room: room.into(),
            doc,
            update: Bytes::copy_from_slice(update),
        }
    }

    /// `WriteOp` has no `PartialEq` (the store never compares ops); the record does.
    fn records(ops: &[WriteOp]) -> Vec<Vec<u8>> {
        ops.iter().map(encode).collect()
    }

    #[test]
    fn records_round_trip() {
        let ops = [
            append("r", DocKind::Wall, b"update"),
            append("", DocKind::Control, b""),
            WriteOp::Compact {
                room: "rø".into(),
                doc: DocKind::Wall,
                state: vec![1, 2, 3],
                upto: None,
                newer: 0,
            },
            WriteOp::Compact {
                room: "r".into(),
                doc: DocKind::Control,
                state: vec![],
                upto: Some(StreamId {
                    ms: 1_700_000_000_000,
                    seq: u64::MAX,
                }),
                newer: 0,
            },
        ];
        for op in &ops {
            let record = encode(op);
            assert_eq!(encode(&decode(&record).expect("decode")), record, "{op:?}");
        }
        assert!(decode(b"").is_err());
        assert!(
            decode(b"A\x00\x05\x00\x00\x00ab").is_err(),
            "a room id longer than the record"
        );
        assert!(decode(b"X\x00\x00\x00\x00\x00").is_err(), "an unknown tag");
        assert!(
            decode(b"C\x01\x00\x00\x00\x00\x01\x00").is_err(),
            "a stream id cut short"
        );
    }

    #[tokio::test]
    async fn push_read_in_order_remove_through_and_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let spool_dir = dir.path().join("spool");
        let (spool, waiting) = Spool::open(&spool_dir).expect("open");
        assert_eq!(waiting, 0);
        assert!(spool.oldest(10).await.expect("oldest").is_empty());

        let first: Vec<WriteOp> = (0..5u8).map(|i| append("r", DocKind::Wall, &[i])).collect();
        let second = [
            WriteOp::Compact {
                room: "r".into(),
                doc: DocKind::Wall,
                state: b"s".to_vec(),
                upto: None,
                newer: 0,
            },
            append("q", DocKind::Control, b"c"),
        ];
        spool.push(&first).await.expect("push");
        spool.push(&second).await.expect("push");

        let all: Vec<WriteOp> = first.iter().chain(&second).cloned().collect();
        let read = spool.oldest(3).await.expect("oldest");
        assert_eq!(
            read.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert_eq!(
            records(&read.iter().map(|(_, op)| op.clone()).collect::<Vec<_>>()),
            records(&all[..3])
        );

        spool.remove_through(read[2].0).await.expect("remove");
        drop(spool);

        // What was not removed is there after a reopen, still in order, and pushes go after it.
        let (spool, waiting) = Spool::open(&spool_dir).expect("reopen");
        assert_eq!(waiting, 4);
        spool
            .push(&[append("r", DocKind::Wall, b"late")])
            .await
            .expect("push");
        let read = spool.oldest(100).await.expect("oldest");
        assert_eq!(
            read.iter().map(|(seq, _)| *seq).collect::<Vec<_>>(),
            [3, 4, 5, 6, 7]
        );
        let mut expected = all[3..].to_vec();
        expected.push(append("r", DocKind::Wall, b"late"));
        assert_eq!(
            records(&read.into_iter().map(|(_, op)| op).collect::<Vec<_>>()),
            records(&expected)
        );

        // Drained: empty, and numbering starts again.
        spool.remove_through(7).await.expect("remove");
        assert!(spool.oldest(10).await.expect("oldest").is_empty());
        spool
            .push(&[append("r", DocKind::Wall, b"next")])
            .await
            .expect("push");
        assert_eq!(spool.oldest(10).await.expect("oldest")[0].0, 0);
    }

    #[test]
    fn a_spool_in_use_is_refused_with_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let _held = Spool::open(dir.path()).expect("open");
        match Spool::open(dir.path()) {
            Err(error @ SpoolError::InUse(_)) => {
                assert!(error.to_string().contains("--spool-dir"), "{error}")
            }
            other => panic!("a second open of one spool: {:?}", other.map(|_| ())),
        }
    }
}
