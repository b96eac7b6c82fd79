//! The embedded store's write-ahead log: `{data_dir}/kortvaeg.wal`, beside the redb file.
//!
//! A write batch that goes through the log is made durable by one append and one `fdatasync` of
//! this file, and committed to the redb file without an fsync of its own
//! (`redb::Durability::None`). A durable redb commit — at least once a second, and by every
//! operation that is not a write batch — makes those commits durable too, and the log is then
//! emptied. After a crash redb opens at its last durable commit, and the log's records are
//! applied on top of it again (`super::embedded`): what a batch changed, not the batch, so
//! applying a record twice, or to a file that already holds it, changes nothing. Why: a redb
//! commit writes every page the batch touched, one leaf per room at least, where the log writes
//! one run of bytes (BENCHMARKS.md, issue 17).
//!
//! The file is a sequence of records: payload length (u32, little-endian), CRC-32 of the payload
//! (u32, little-endian), payload. A payload is a sequence of [`Edit`]s. A record is written
//! whole and synced before its batch is acknowledged, so only the last one can be torn (a crash
//! during the append): reading stops at the first record that is short or fails its checksum.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Instant;

/// The log file inside the data directory.
pub const FILE_NAME: &str = "kortvaeg.wal";

/// Length and checksum before each payload.
const HEADER: usize = 8;

/// One change to the documents' tables, with its keys resolved: what a write op did, so that
/// doing it again does the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit<'a> {
    /// `doc_log[(room, doc, seq)] = update`.
    Append {
        room: &'a str,
        doc: &'a str,
        seq: u64,
        update: &'a [u8],
    },
    /// `doc_state[(room, doc)] = state`.
    State {
        room: &'a str,
        doc: &'a str,
        state: &'a [u8],
    },
    /// Removes the document's log entries with `seq` below `below` (all of them for `None`).
    Trim {
        room: &'a str,
        doc: &'a str,
        below: Option<u64>,
    },
}

const APPEND: u8 = b'A';
const STATE: u8 = b'S';
const TRIM: u8 = b'T';

impl<'a> Edit<'a> {
    /// The room the change writes to.
    pub fn room(&self) -> &'a str {
        match self {
            Edit::Append { room, .. } | Edit::State { room, .. } | Edit::Trim { room, .. } => room,
        }
    }

    /// Appends the change to a payload: a tag (`A`, `S`, `T`), the room id and the document key
    /// (each a u32 length and bytes), then for `A` the seq (u64) and the update, for `S` the
    /// state (each a u32 length and bytes), for `T` a flag (0: all; 1: `below`, u64, follows).
    /// Integers are little-endian.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let bytes = |out: &mut Vec<u8>, b: &[u8]| {
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        };
        let (tag, room, doc) = match self {
            Edit::Append { room, doc, .. } => (APPEND, room, doc),
            Edit::State { room, doc, .. } => (STATE, room, doc),
            Edit::Trim { room, doc, .. } => (TRIM, room, doc),
        };
        out.push(tag);
        bytes(out, room.as_bytes());
        bytes(out, doc.as_bytes());
        match self {
            Edit::Append { seq, update, .. } => {
                out.extend_from_slice(&seq.to_le_bytes());
                bytes(out, update);
            }
            Edit::State { state, .. } => bytes(out, state),
            Edit::Trim { below, .. } => match below {
                None => out.push(0),
                Some(below) => {
                    out.push(1);
                    out.extend_from_slice(&below.to_le_bytes());
                }
            },
        }
    }

    /// The changes of a payload made by [`Edit::encode`].
    pub fn decode_all(mut payload: &'a [u8]) -> Result<Vec<Edit<'a>>, String> {
        let mut changes = Vec::new();
        while !payload.is_empty() {
            let (change, rest) = Self::decode(payload)?;
            changes.push(change);
            payload = rest;
        }
        Ok(changes)
    }

    fn decode(mut rest: &'a [u8]) -> Result<(Edit<'a>, &'a [u8]), String> {
        let mut take = |n: usize| -> Result<&'a [u8], String> {
            let (head, tail) = rest.split_at_checked(n).ok_or("change too short")?;
            rest = tail;
            Ok(head)
        };
        let tag = take(1)?[0];
        let bytes = |take: &mut dyn FnMut(usize) -> Result<&'a [u8], String>| {
            let len = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes"));
            take(len as usize)
        };
        let text = |b: &'a [u8]| std::str::from_utf8(b).map_err(|_| "key is not UTF-8".to_string());
        let room = text(bytes(&mut take)?)?;
        let doc = text(bytes(&mut take)?)?;
        let u64_le = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("8 bytes"));
        let change = match tag {
            APPEND => Edit::Append {
                room,
                doc,
                seq: u64_le(take(8)?),
                update: bytes(&mut take)?,
            },
            STATE => Edit::State {
                room,
                doc,
                state: bytes(&mut take)?,
            },
            TRIM => Edit::Trim {
                room,
                doc,
                below: match take(1)?[0] {
                    0 => None,
                    1 => Some(u64_le(take(8)?)),
                    other => return Err(format!("unknown trim flag {other}")),
                },
            },
            other => return Err(format!("unknown change {other}")),
        };
        Ok((change, rest))
    }
}

/// The open log file.
pub struct Wal {
    file: File,
    /// Bytes written: where the next record goes.
    len: u64,
    /// When the oldest record in the log was written; `None` while it is empty.
    oldest: Option<Instant>,
}

impl Wal {
    /// Opens `path`, creating it if needed, and reads the records in it (left by a process that
    /// stopped before they reached a durable redb commit): their payloads, oldest first, and how
    /// many bytes after them were not a whole record (a torn last append), which are cut off.
    pub fn open(path: &Path) -> io::Result<(Wal, Vec<Vec<u8>>, u64)> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let mut all = Vec::new();
        file.read_to_end(&mut all)?;
        let mut records = Vec::new();
        let mut at = 0;
        while let Some(payload) = record_at(&all, at) {
            records.push(payload.to_vec());
            at += HEADER + payload.len();
        }
        let torn = (all.len() - at) as u64;
        if torn > 0 {
            // What follows the last whole record was never acknowledged: the next append
            // replaces it, and nothing of it may be read after that record as if it were one.
            file.set_len(at as u64)?;
            file.sync_data()?;
        }
        let wal = Wal {
            file,
            len: at as u64,
            oldest: (!records.is_empty()).then(Instant::now),
        };
        Ok((wal, records, torn))
    }

    /// Appends one record and syncs it: when this returns `Ok`, the record survives a crash. On
    /// an error the file is cut back to where the record began (as far as that is possible; a
    /// torn record is skipped on reading anyway).
    pub fn append(&mut self, payload: &[u8]) -> io::Result<()> {
        let len = u32::try_from(payload.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "record over 4 GiB"))?;
        let mut record = Vec::with_capacity(HEADER + payload.len());
        record.extend_from_slice(&len.to_le_bytes());
        record.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        record.extend_from_slice(payload);
        let written = self
            .file
            .write_all_at(&record, self.len)
            .and_then(|()| self.file.sync_data());
        match written {
            Ok(()) => {
                self.len += record.len() as u64;
                self.oldest.get_or_insert_with(Instant::now);
                Ok(())
            }
            Err(e) => {
                let _ = self.file.set_len(self.len);
                Err(e)
            }
        }
    }

    /// Empties the log, durably: call it only once a durable redb commit holds every record.
    pub fn clear(&mut self) -> io::Result<()> {
        if self.len > 0 || self.file.metadata()?.len() > 0 {
            self.file.set_len(0)?;
            self.file.sync_data()?;
        }
        self.len = 0;
        self.oldest = None;
        Ok(())
    }

    /// When the oldest record was written; `None` while the log is empty.
    pub fn oldest(&self) -> Option<Instant> {
        self.oldest
    }

    /// The bytes in the log.
    pub fn len(&self) -> u64 {
        self.len
    }
}

/// The payload of the whole record at `at`, if there is one.
fn record_at(all: &[u8], at: usize) -> Option<&[u8]> {
    let header = all.get(at..at + HEADER)?;
    let len = u32::from_le_bytes(header[..4].try_into().expect("4 bytes")) as usize;
    let crc = u32::from_le_bytes(header[4..].try_into().expect("4 bytes"));
    let payload = all.get(at + HEADER..at + HEADER + len)?;
    (crc32fast::hash(payload) == crc).then_some(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes() -> Vec<Edit<'static>> {
        vec![
            Edit::Append {
                room: "r",
                doc: "wall",
                seq: 7,
                update: b"u7",
            },
            Edit::State {
                room: "r",
                doc: "group:g-1",
                state: b"",
            },
            Edit::Trim {
                room: "r",
                doc: "wall",
                below: Some(3),
            },
            Edit::Trim {
                room: "rø",
                doc: "control",
                below: None,
            },
        ]
    }

    fn payload(changes: &[Edit]) -> Vec<u8> {
        let mut out = Vec::new();
        for change in changes {
            change.encode(&mut out);
        }
        out
    }

    #[test]
    fn changes_decode_as_they_were_encoded() {
        let changes = changes();
        let payload = payload(&changes);
        assert_eq!(Edit::decode_all(&payload).unwrap(), changes);
        for cut in 1..payload.len() {
            // A cut inside the last change, or any change, is an error, never a panic.
            let _ = Edit::decode_all(&payload[..cut]);
        }
        assert!(Edit::decode_all(&payload[..payload.len() - 1]).is_err());
        assert!(Edit::decode_all(b"X").is_err());
    }

    #[test]
    fn records_survive_a_reopen_and_a_torn_last_one_is_skipped_and_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let (mut wal, records, torn) = Wal::open(&path).unwrap();
        assert!(records.is_empty() && torn == 0 && wal.oldest().is_none());
        wal.append(b"one").unwrap();
        wal.append(&payload(&changes())).unwrap();
        assert!(wal.oldest().is_some());
        drop(wal);
        // A crash in the middle of a third append: its header and half its payload.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        std::io::Write::write_all(&mut file, &[9, 0, 0, 0, 1, 2, 3, 4, b'h', b'a']).unwrap();
        drop(file);

        let (mut wal, records, torn) = Wal::open(&path).unwrap();
        assert_eq!(records, vec![b"one".to_vec(), payload(&changes())]);
        assert_eq!(torn, 10);
        wal.append(b"three").unwrap();
        drop(wal);
        let (mut wal, records, torn) = Wal::open(&path).unwrap();
        assert_eq!(records.len(), 3, "the torn record was overwritten");
        assert_eq!(records[2], b"three");
        assert_eq!(torn, 0);

        wal.clear().unwrap();
        assert_eq!(wal.len(), 0);
        drop(wal);
        let (_, records, torn) = Wal::open(&path).unwrap();
        assert!(records.is_empty() && torn == 0);
    }

    #[test]
    fn a_record_whose_checksum_fails_ends_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        let (mut wal, _, _) = Wal::open(&path).unwrap();
        wal.append(b"first").unwrap();
        wal.append(b"second").unwrap();
        drop(wal);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let (_, records, torn) = Wal::open(&path).unwrap();
        assert_eq!(records, vec![b"first".to_vec()]);
        assert_eq!(torn, (HEADER + 6) as u64);
    }
}
