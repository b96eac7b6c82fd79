//! The Redis store. Every key starts with [`KEY_PREFIX`]; `{doc}` is [`DocKind::key`],
//! `wall` or `control`:
//!
//! | key                                 | type   | content                                      |
//! |-------------------------------------|--------|----------------------------------------------|
//! | `kortvaeg:room:{id}`                | string | JSON of [`RoomRecord`]                       |
//! | `kortvaeg:room:{id}:{doc}:state`    | string | compacted state (Yjs v1 update)              |
//! | `kortvaeg:room:{id}:{doc}:state-id` | string | last stream id the state contains            |
//! | `kortvaeg:room:{id}:{doc}:stream`   | stream | updates since: fields `u` (Yjs v1), `n` (node) |
//! | `kortvaeg:room:{id}:snapshot-seq`   | string | counter: last snapshot number (`INCR`)       |
//! | `kortvaeg:room:{id}:snapshot:{seq}` | hash   | `taken_at` (RFC 3339), `name` (only when named), `wall`, `control` |
//! | `kortvaeg:room:{id}:snapshots`      | list   | snapshot numbers, oldest first               |
//! | `kortvaeg:room:{id}:seats`          | hash   | seat id → JSON of [`SeatRecord`]             |
//! | `kortvaeg:rooms:changed`            | zset   | room id, scored by its last change (ms)      |
//! | `kortvaeg:rooms:deleting`           | set    | ids of rooms whose deletion is under way     |
//!
//! Room ids must not contain `:`, or one room's keys could be another's (room `a:wall:state`'s
//! record would be room `a`'s wall state); `create_room` refuses such ids.
//!
//! Atomicity: a write batch is one `MULTI`/`EXEC`; a room is created by one Lua script (check and
//! three `SET`s); a document is read in one `MULTI`/`EXEC`, so state and log are from the same
//! moment. Every write that could make a key of a room runs in a script that first checks the
//! room's record exists ([`GUARDED_LUA`], [`COMPACT_LUA`]), so after a deletion no node can
//! re-create any of it. Deleting takes three steps, each atomic: the record goes (and the id is
//! noted in `kortvaeg:rooms:deleting`), then every `kortvaeg:room:{id}:*` key (`SCAN`, `UNLINK`),
//! then the note; a crash in between leaves a room that is already unreachable, and the next
//! retention sweep of any node finishes it ([`Store::stale_rooms`]). Durability is whatever the
//! Redis server is configured for (`appendonly`, `appendfsync`). More in `docs/STORE.md`.

use std::time::Duration;

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Client, RedisError};
use async_trait::async_trait;
use kortvaeg_shared::voting::{self, Change, Count, Refused, Round, Spent};

use super::{
    DocKind, GroupId, RoomRecord, SeatRecord, SnapshotInfo, SnapshotRecord, Store, StoreError,
    StoreResult, StoredDoc, StreamEntry, StreamId, WriteOp,
};

/// The prefix of every key this store reads or writes, so it can share a Redis with others.
pub const KEY_PREFIX: &str = "kortvaeg:";

/// How long one attempt to open a TCP connection (and handshake) may take.
pub(crate) const CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a command may wait for its reply. The crate's default is 500 ms, too short for a batch
/// or a snapshot carrying a large document; long enough here, still short enough that a stalled
/// Redis shows up as an error rather than a hang.
pub(crate) const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// Reconnect attempts after a lost connection before a command fails (the default, 6 with
/// exponential back-off, keeps a command waiting for several seconds when Redis is down).
const RECONNECT_RETRIES: usize = 2;
const RECONNECT_MAX_DELAY: Duration = Duration::from_millis(500);
/// An upper bound on [`RedisStore::connect`] as a whole, whatever the retries above add up to.
const CONNECT_DEADLINE: Duration = Duration::from_secs(10);

/// Creates a room if its record key is free. KEYS: record, wall state, control state, change
/// index. ARGV: record JSON, wall state, control state, room id, change time (ms). Returns 1 if
/// created, 0 if the id was taken.
const CREATE_ROOM_LUA: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[3], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[4])
return 1
";

/// Runs one write command only while the room exists. KEYS: the room's record, the key written.
/// ARGV: the command, then its arguments after the key. Returns the command's reply, or nil when
/// the room's record is gone (deleted, or never made): so nothing of a deleted room is written
/// again, whatever was still queued for it.
pub(crate) const GUARDED_LUA: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then
  return false
end
return redis.call(ARGV[1], KEYS[2], unpack(ARGV, 2))
";

/// Appends a run of updates, each only while its room exists: [`GUARDED_LUA`] for many `XADD`s in
/// one call (one script run per batch, not one per update: issue 17). KEYS: per update, its
/// room's record and its document's stream. ARGV: this node's id, then the updates in order.
pub(crate) const APPENDS_LUA: &str = r"
local exists = {}
for i = 1, #KEYS, 2 do
  local room = KEYS[i]
  if exists[room] == nil then
    exists[room] = redis.call('EXISTS', room) == 1
  end
  if exists[room] then
    redis.call('XADD', KEYS[i + 1], '*', 'n', ARGV[1], 'u', ARGV[(i + 1) / 2 + 1])
  end
end
return 0
";

/// Casts or takes back one vote (dot voting), the check and the count in one atomic step.
/// KEYS: the room's record, the round's votes hash. ARGV: the seat's total field, the seat's
/// field for the target, `1` (cast) or `-1` (take back), the budget, the cap. Returns nil when the
/// room is gone, else `{done, total, on_target}`: done 1 with the counts after, or 0 with the
/// counts that refused it. The comparisons are `kortvaeg_shared::voting::check`'s.
pub(crate) const VOTE_LUA: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then
  return false
end
local total = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
local on = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
if ARGV[3] == '1' then
  if total >= tonumber(ARGV[4]) or on >= tonumber(ARGV[5]) then
    return {0, total, on}
  end
elseif on <= 0 then
  return {0, total, on}
end
local delta = tonumber(ARGV[3])
total = redis.call('HINCRBY', KEYS[2], ARGV[1], delta)
on = redis.call('HINCRBY', KEYS[2], ARGV[2], delta)
if on == 0 then
  redis.call('HDEL', KEYS[2], ARGV[2])
end
return {1, total, on}
";

/// Sets or removes a room's join code. KEYS: the room's record, the room's join-code key, the
/// code → room hash. ARGV: the code ('' removes it), the room id, the join-code key of the room
/// that holds the code now (from the hash; '' if none). Returns nil when the room is gone, 0 when
/// another room has the code (its own key still says so), 1 when done.
pub(crate) const JOIN_CODE_LUA: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then
  return false
end
if ARGV[1] ~= '' and ARGV[3] ~= '' and redis.call('GET', ARGV[3]) == ARGV[1] then
  return 0
end
local old = redis.call('GET', KEYS[2])
if old then
  redis.call('HDEL', KEYS[3], old)
end
if ARGV[1] == '' then
  redis.call('DEL', KEYS[2])
else
  redis.call('SET', KEYS[2], ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
end
return 1
";

/// Compacts a document. KEYS: state, state-id, stream, compaction lock, the room's record. ARGV:
/// state, upto (a stream id, or '' for the stream's last entry but ARGV[4]), node ('' when no
/// lock is taken: one writer), how many of the stream's last entries the state does not contain
/// (with upto ''). Nothing is done for a room whose record is gone (deleted).
/// With a node, the lock must still be this node's (a compaction that outlived its lock does
/// nothing) and is released. The state is stored only if it is not older than the stored one,
/// and only the entries up to `upto` are trimmed: an update appended meanwhile (by any node)
/// stays. Redis runs a script atomically, so two compactions of one room never interleave.
pub(crate) const COMPACT_LUA: &str = r"
if redis.call('EXISTS', KEYS[5]) == 0 then
  return 0
end
if ARGV[3] ~= '' then
  if redis.call('GET', KEYS[4]) ~= ARGV[3] then
    return 0
  end
  redis.call('DEL', KEYS[4])
end
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local upto = ARGV[2]
if upto == '' then
  local newer = tonumber(ARGV[4]) or 0
  local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', newer + 1)
  if #last <= newer then
    upto = redis.call('GET', KEYS[2]) or '0-0'
  else
    upto = last[newer + 1][1]
  end
end
local ums, useq = parse(upto)
local current = redis.call('GET', KEYS[2])
if current then
  local cms, cseq = parse(current)
  if cms > ums or (cms == ums and cseq > useq) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], upto)
redis.call('XTRIM', KEYS[3], 'MINID', string.format('%d-%d', ums, useq + 1))
return 1
";

/// The Redis-backed [`Store`]. The connection manager multiplexes every call over one connection
/// and reconnects after a failure, so the store is cheap to share.
pub struct RedisStore {
    conn: ConnectionManager,
    /// For the cluster's own connections (a blocking `XREAD`, pub/sub), which must not share
    /// the multiplexed one.
    pub(crate) client: Client,
    create_room: ::redis::Script,
    /// This process's id in the stream entries it appends, so its reader can skip its own.
    pub(crate) node: String,
    /// Rooms without a change time have been given one ([`RedisStore::backfill_changed`]).
    backfilled: std::sync::atomic::AtomicBool,
}

impl RedisStore {
    /// Connects to `url` (`redis://[:password@]host:port[/db]`) and checks the connection with a
    /// `PING`. Fails, rather than waits, when Redis is unreachable: see the timeouts above.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let client = Client::open(url).map_err(redis_err)?;
        let manager_client = client.clone();
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(RECONNECT_RETRIES)
            .set_max_delay(RECONNECT_MAX_DELAY);
        let conn = tokio::time::timeout(
            CONNECT_DEADLINE,
            ConnectionManager::new_with_config(manager_client, config),
        )
        .await
        .map_err(|_| StoreError::Redis(format!("no connection within {CONNECT_DEADLINE:?}")))?
        .map_err(redis_err)?;
        let mut node = [0u8; 8];
        rand::fill(&mut node);
        let store = Self {
            conn,
            client,
            create_room: ::redis::Script::new(CREATE_ROOM_LUA),
            node: hex::encode(node),
            backfilled: Default::default(),
        };
        store.ping().await?;
        Ok(store)
    }

    /// This process's node id (in the `n` field of the stream entries it appends).
    pub fn node(&self) -> &str {
        &self.node
    }

    /// A handle for one call: clones share the manager's connection.
    pub(crate) fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }
}

pub(crate) fn redis_err(e: RedisError) -> StoreError {
    StoreError::Redis(e.to_string())
}

pub(crate) fn room_key(room: &str) -> String {
    format!("{KEY_PREFIX}room:{room}")
}

/// The set of the rooms a creator made (`user:<name>` or `key:<digest prefix>`, hashed so any
/// name makes a key).
fn creator_key(creator: &str) -> String {
    format!(
        "{KEY_PREFIX}creator:{}:rooms",
        crate::tokens::digest(creator)
    )
}

/// The sorted set of room ids by last change (ms since the epoch), for retention.
fn changed_key() -> String {
    format!("{KEY_PREFIX}rooms:changed")
}

/// The set of room ids whose deletion has begun and not yet finished.
fn deleting_key() -> String {
    format!("{KEY_PREFIX}rooms:deleting")
}

/// `cmd key args…` as a [`GUARDED_LUA`] call: run only while room `room` exists.
pub(crate) fn guarded(room: &str, cmd: &str, key: &str) -> ::redis::Cmd {
    let mut eval = ::redis::cmd("EVAL");
    // EVAL, not EVALSHA: inside MULTI a script missing from Redis's cache (after a restart)
    // could not be loaded on the fly.
    eval.arg(GUARDED_LUA)
        .arg(2)
        .arg(room_key(room))
        .arg(key)
        .arg(cmd);
    eval
}

fn is_append(op: &WriteOp) -> bool {
    matches!(op, WriteOp::Append { .. })
}

/// The appends of `run` as one [`APPENDS_LUA`] call, in order, from node `node`.
fn appends(node: &str, run: &[WriteOp]) -> ::redis::Cmd {
    let mut eval = ::redis::cmd("EVAL");
    // EVAL, not EVALSHA: as in `guarded`.
    eval.arg(APPENDS_LUA).arg(2 * run.len());
    for op in run {
        if let WriteOp::Append { room, doc, .. } = op {
            eval.arg(room_key(room)).arg(stream_key(room, *doc));
        }
    }
    eval.arg(node);
    for op in run {
        if let WriteOp::Append { update, .. } = op {
            eval.arg(update.as_ref());
        }
    }
    eval
}

/// `s` as a literal in a `SCAN MATCH` pattern.
fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(crate) fn state_key(room: &str, doc: DocKind) -> String {
    format!("{KEY_PREFIX}room:{room}:{}:state", doc.key())
}

pub(crate) fn state_id_key(room: &str, doc: DocKind) -> String {
    format!("{KEY_PREFIX}room:{room}:{}:state-id", doc.key())
}

fn set_aside_key(room: &str, doc: DocKind) -> String {
    format!("{KEY_PREFIX}room:{room}:{}:set_aside", doc.key())
}

fn seats_key(room: &str) -> String {
    format!("{KEY_PREFIX}room:{room}:seats")
}

/// A room's join code (string).
fn join_code_key(room: &str) -> String {
    format!("{KEY_PREFIX}room:{room}:join-code")
}

/// Join code → room id (an entry whose room's join-code key no longer names it counts for nothing).
fn join_codes_key() -> String {
    format!("{KEY_PREFIX}join-codes")
}

/// A voting round's votes: field `t\t{seat}` the seat's total, `v\t{seat}\t{target}` its votes
/// on a target.
fn votes_key(room: &str, round: &str) -> String {
    format!("{KEY_PREFIX}room:{room}:votes:{round}")
}

pub(crate) fn lock_key(room: &str, doc: DocKind) -> String {
    format!("{KEY_PREFIX}room:{room}:{}:compactor", doc.key())
}

pub(crate) fn stream_key(room: &str, doc: DocKind) -> String {
    format!("{KEY_PREFIX}room:{room}:{}:stream", doc.key())
}

/// Reads the entries of an `XRANGE`/`XREAD` reply; entries that do not parse are corrupt.
pub(crate) fn entries(
    key: &str,
    ids: Vec<::redis::streams::StreamId>,
) -> StoreResult<Vec<StreamEntry>> {
    ids.into_iter()
        .map(|entry| {
            let corrupt = |what: &str| {
                StoreError::Corrupt(format!("stream {key}, entry {}: {what}", entry.id))
            };
            let id = StreamId::parse(&entry.id).ok_or_else(|| corrupt("bad id"))?;
            let field = |name: &str| match entry.map.get(name) {
                Some(::redis::Value::BulkString(bytes)) => Some(bytes.clone()),
                _ => None,
            };
            let update = field("u").ok_or_else(|| corrupt("no update"))?;
            let node = String::from_utf8(field("n").unwrap_or_default())
                .map_err(|_| corrupt("bad node"))?;
            Ok(StreamEntry { id, node, update })
        })
        .collect()
}

pub(crate) fn parse_id(key: &str, raw: Option<Vec<u8>>) -> StoreResult<Option<StreamId>> {
    raw.map(|raw| {
        std::str::from_utf8(&raw)
            .ok()
            .and_then(StreamId::parse)
            .ok_or_else(|| {
                StoreError::Corrupt(format!("{key} holds {:?}", String::from_utf8_lossy(&raw)))
            })
    })
    .transpose()
}

fn snapshot_seq_key(room: &str) -> String {
    format!("{KEY_PREFIX}room:{room}:snapshot-seq")
}

fn snapshot_key(room: &str, seq: u64) -> String {
    format!("{KEY_PREFIX}room:{room}:snapshot:{seq}")
}

fn snapshot_list_key(room: &str) -> String {
    format!("{KEY_PREFIX}room:{room}:snapshots")
}

/// The field of a snapshot's hash holding its name (absent when it has none). Not a document
/// name: those are `wall`, `control` and `group:…`.
const NAME_FIELD: &str = "name";

/// A snapshot's stored name, which must be UTF-8.
fn name_text(room: &str, seq: u64, bytes: Option<Vec<u8>>) -> StoreResult<Option<String>> {
    bytes
        .map(|b| {
            String::from_utf8(b).map_err(|_| {
                StoreError::Corrupt(format!("snapshot {room}/{seq}: its name is not UTF-8"))
            })
        })
        .transpose()
}

/// A stored `taken_at`, which must be UTF-8. Read as bytes so damage is `Corrupt`, not a type error.
fn taken_at_text(room: &str, seq: u64, bytes: Vec<u8>) -> StoreResult<String> {
    String::from_utf8(bytes)
        .map_err(|_| StoreError::Corrupt(format!("snapshot {room}/{seq}: taken_at is not UTF-8")))
}

#[async_trait]
impl Store for RedisStore {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn ping(&self) -> StoreResult<()> {
        let pong: String = ::redis::cmd("PING")
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(StoreError::Redis(format!("PING answered {pong:?}")))
        }
    }

    async fn create_room(
        &self,
        record: &RoomRecord,
        wall: &[u8],
        control: &[u8],
    ) -> StoreResult<()> {
        if record.id.contains(':') {
            return Err(StoreError::Redis(format!(
                "room id {:?} contains ':'",
                record.id
            )));
        }
        let json = serde_json::to_vec(record)
            .map_err(|e| StoreError::Redis(format!("cannot encode room record: {e}")))?;
        let changed = super::created_ms(record, super::unix_ms(std::time::SystemTime::now()));
        let created: i64 = self
            .create_room
            .key(room_key(&record.id))
            .key(state_key(&record.id, DocKind::Wall))
            .key(state_key(&record.id, DocKind::Control))
            .key(changed_key())
            .arg(json)
            .arg(wall)
            .arg(control)
            .arg(&record.id)
            .arg(changed)
            .invoke_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        if created != 1 {
            return Err(StoreError::RoomExists(record.id.clone()));
        }
        if let Some(creator) = &record.creator {
            // Listed after it exists: a failure here leaves a room its creator does not see
            // listed (logged), never a listed room that does not exist.
            let listed: Result<(), _> = ::redis::cmd("SADD")
                .arg(creator_key(creator))
                .arg(&record.id)
                .query_async(&mut self.conn())
                .await;
            if let Err(error) = listed {
                tracing::warn!(room = record.id, %error, "room not added to its creator's list");
            }
        }
        Ok(())
    }

    async fn rooms_created_by(&self, creator: &str) -> StoreResult<Vec<RoomRecord>> {
        let ids: Vec<String> = ::redis::cmd("SMEMBERS")
            .arg(creator_key(creator))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        let mut out = Vec::new();
        for id in ids {
            // A room deleted since is no longer there: skipped.
            if let Some(record) = self.room(&id).await? {
                out.push(record);
            }
        }
        Ok(out)
    }

    async fn room(&self, id: &str) -> StoreResult<Option<RoomRecord>> {
        let json: Option<Vec<u8>> = ::redis::cmd("GET")
            .arg(room_key(id))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        json.map(|json| {
            serde_json::from_slice(&json)
                .map_err(|e| StoreError::Corrupt(format!("room record {id}: {e}")))
        })
        .transpose()
    }

    async fn load_doc(&self, room: &str, doc: DocKind) -> StoreResult<StoredDoc> {
        let stream = stream_key(room, doc);
        let (state, state_id, range): (
            Option<Vec<u8>>,
            Option<Vec<u8>>,
            ::redis::streams::StreamRangeReply,
        ) = ::redis::pipe()
            .atomic()
            .cmd("GET")
            .arg(state_key(room, doc))
            .cmd("GET")
            .arg(state_id_key(room, doc))
            .cmd("XRANGE")
            .arg(&stream)
            .arg("-")
            .arg("+")
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        let state_id = parse_id(&state_id_key(room, doc), state_id)?.unwrap_or_default();
        // The state contains the entries up to its id; a compaction trims them, but one that
        // raced with another node's may leave a few behind.
        let log: Vec<StreamEntry> = entries(&stream, range.ids)?
            .into_iter()
            .filter(|e| e.id > state_id)
            .collect();
        let position = log.last().map(|e| e.id).unwrap_or(state_id);
        Ok(StoredDoc {
            state,
            log: log.into_iter().map(|e| e.update).collect(),
            position: Some(position),
        })
    }

    async fn write_batch(&self, ops: &[WriteOp]) -> StoreResult<()> {
        if ops.is_empty() {
            return Ok(());
        }
        let mut pipe = ::redis::pipe();
        pipe.atomic();
        // Each run of appends is one script call; a compaction between them keeps its place.
        for run in ops.chunk_by(|a, b| is_append(a) == is_append(b)) {
            if is_append(&run[0]) {
                pipe.add_command(appends(&self.node, run)).ignore();
                continue;
            }
            for op in run {
                let WriteOp::Compact {
                    room,
                    doc,
                    state,
                    upto,
                    newer,
                } = op
                else {
                    continue;
                };
                let upto = upto.map(|id| id.to_string()).unwrap_or_default();
                // EVAL, not EVALSHA: as in `guarded`.
                pipe.cmd("EVAL")
                    .arg(COMPACT_LUA)
                    .arg(5)
                    .arg(state_key(room, *doc))
                    .arg(state_id_key(room, *doc))
                    .arg(stream_key(room, *doc))
                    .arg(lock_key(room, *doc))
                    .arg(room_key(room))
                    .arg(state.as_slice())
                    .arg(upto)
                    .arg("")
                    .arg(*newer)
                    .ignore();
            }
        }
        pipe.exec_async(&mut self.conn()).await.map_err(redis_err)
    }

    async fn add_snapshot(
        &self,
        room: &str,
        taken_at: &str,
        name: Option<&str>,
        wall: &[u8],
        control: &[u8],
        groups: &[(GroupId, Vec<u8>)],
    ) -> StoreResult<u64> {
        // The number is taken first, on its own: if the MULTI below fails, that number is skipped
        // (listing reads the list of numbers, so a gap is harmless) but never given out twice.
        let seq: Option<i64> = guarded(room, "INCR", &snapshot_seq_key(room))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        let seq = seq.ok_or_else(|| StoreError::NoRoom(room.to_string()))?;
        let seq = u64::try_from(seq)
            .map_err(|_| StoreError::Corrupt(format!("snapshot counter of {room} is {seq}")))?;
        let mut hset = guarded(room, "HSET", &snapshot_key(room, seq));
        hset.arg("taken_at")
            .arg(taken_at)
            .arg(DocKind::Wall.key().as_ref())
            .arg(wall)
            .arg(DocKind::Control.key().as_ref())
            .arg(control);
        if let Some(name) = name {
            hset.arg(NAME_FIELD).arg(name);
        }
        for (group, state) in groups {
            hset.arg(DocKind::Group(*group).key().as_ref()).arg(state);
        }
        let mut rpush = guarded(room, "RPUSH", &snapshot_list_key(room));
        rpush.arg(seq);
        let (stored, _): (Option<i64>, Option<i64>) = ::redis::pipe()
            .atomic()
            .add_command(hset)
            .add_command(rpush)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        stored.ok_or_else(|| StoreError::NoRoom(room.to_string()))?;
        Ok(seq)
    }

    async fn snapshots(&self, room: &str) -> StoreResult<Vec<SnapshotInfo>> {
        let mut conn = self.conn();
        let listed: Vec<Vec<u8>> = ::redis::cmd("LRANGE")
            .arg(snapshot_list_key(room))
            .arg(0)
            .arg(-1)
            .query_async(&mut conn)
            .await
            .map_err(redis_err)?;
        let seqs = listed
            .iter()
            .map(|raw| {
                std::str::from_utf8(raw)
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                    .ok_or_else(|| {
                        StoreError::Corrupt(format!(
                            "snapshot list of {room} holds {:?}",
                            String::from_utf8_lossy(raw)
                        ))
                    })
            })
            .collect::<StoreResult<Vec<u64>>>()?;
        if seqs.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = ::redis::pipe();
        for seq in &seqs {
            pipe.cmd("HMGET")
                .arg(snapshot_key(room, *seq))
                .arg("taken_at")
                .arg(NAME_FIELD);
        }
        let times: Vec<(Option<Vec<u8>>, Option<Vec<u8>>)> =
            pipe.query_async(&mut conn).await.map_err(redis_err)?;
        seqs.into_iter()
            .zip(times)
            .map(|(seq, (taken_at, name))| {
                let taken_at = taken_at.ok_or_else(|| {
                    StoreError::Corrupt(format!("snapshot {room}/{seq} is listed but missing"))
                })?;
                Ok(SnapshotInfo {
                    seq,
                    taken_at: taken_at_text(room, seq, taken_at)?,
                    name: name_text(room, seq, name)?,
                })
            })
            .collect()
    }

    async fn snapshot(&self, room: &str, seq: u64) -> StoreResult<Option<SnapshotRecord>> {
        let mut fields: std::collections::HashMap<String, Vec<u8>> = ::redis::cmd("HGETALL")
            .arg(snapshot_key(room, seq))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        if fields.is_empty() {
            return Ok(None);
        }
        let name = name_text(room, seq, fields.remove(NAME_FIELD))?;
        let mut take = |field: &str| {
            fields.remove(field).ok_or_else(|| {
                StoreError::Corrupt(format!("snapshot {room}/{seq} lacks its {field}"))
            })
        };
        let taken_at = taken_at_text(room, seq, take("taken_at")?)?;
        let wall = take(&DocKind::Wall.key())?;
        let control = take(&DocKind::Control.key())?;
        let mut groups = fields
            .into_iter()
            .map(|(field, state)| match DocKind::from_key(&field) {
                Some(DocKind::Group(group)) => Ok((group, state)),
                _ => Err(StoreError::Corrupt(format!(
                    "snapshot {room}/{seq} holds a field {field:?}"
                ))),
            })
            .collect::<StoreResult<Vec<_>>>()?;
        groups.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
        Ok(Some(SnapshotRecord {
            seq,
            taken_at,
            name,
            wall,
            control,
            groups,
        }))
    }

    async fn set_aside(&self, room: &str, doc: DocKind, update: &[u8]) -> StoreResult<()> {
        let mut hset = guarded(room, "HSET", &set_aside_key(room, doc));
        hset.arg(super::set_aside_key(update)).arg(update);
        let stored: Option<i64> = hset
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        stored
            .map(|_| ())
            .ok_or_else(|| StoreError::NoRoom(room.to_string()))
    }

    async fn set_participant_digest(&self, room: &str, digest: &str) -> StoreResult<()> {
        let no_room = || StoreError::NoRoom(room.to_string());
        let mut record = self.room(room).await?.ok_or_else(no_room)?;
        record.participant_digest = digest.to_string();
        let json = serde_json::to_vec(&record)
            .map_err(|e| StoreError::Redis(format!("cannot encode room record: {e}")))?;
        // XX: only over the record that is there (a room deleted meanwhile stays deleted).
        let set: Option<String> = ::redis::cmd("SET")
            .arg(room_key(room))
            .arg(json)
            .arg("XX")
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        set.map(|_| ()).ok_or_else(no_room)
    }

    async fn put_seat(&self, room: &str, seat: &SeatRecord) -> StoreResult<()> {
        let json = serde_json::to_vec(seat)
            .map_err(|e| StoreError::Redis(format!("cannot encode seat: {e}")))?;
        let mut hset = guarded(room, "HSET", &seats_key(room));
        hset.arg(&seat.seat_id).arg(json);
        let stored: Option<i64> = hset
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        stored
            .map(|_| ())
            .ok_or_else(|| StoreError::NoRoom(room.to_string()))
    }

    async fn seats(&self, room: &str) -> StoreResult<Vec<SeatRecord>> {
        let all: Vec<Vec<u8>> = ::redis::cmd("HVALS")
            .arg(seats_key(room))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        all.iter()
            .map(|json| {
                serde_json::from_slice(json)
                    .map_err(|e| StoreError::Corrupt(format!("a seat of room {room}: {e}")))
            })
            .collect()
    }

    async fn remove_seat(&self, room: &str, seat_id: &str) -> StoreResult<bool> {
        let removed: i64 = ::redis::cmd("HDEL")
            .arg(seats_key(room))
            .arg(seat_id)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        Ok(removed == 1)
    }

    async fn vote(
        &self,
        room: &str,
        round: &Round,
        seat: &str,
        target: &str,
        change: Change,
    ) -> StoreResult<Result<Spent, Refused>> {
        let delta = match change {
            Change::Cast => 1,
            Change::TakeBack => -1,
        };
        let reply: Option<(i64, u32, u32)> = ::redis::cmd("EVAL")
            .arg(VOTE_LUA)
            .arg(2)
            .arg(room_key(room))
            .arg(votes_key(room, &round.id))
            .arg(format!("t\t{seat}"))
            .arg(format!("v\t{seat}\t{target}"))
            .arg(delta)
            .arg(round.budget)
            .arg(round.cap)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        let (done, total, on_target) = reply.ok_or_else(|| StoreError::NoRoom(room.to_string()))?;
        let spent = Spent { total, on_target };
        match (done, voting::check(round, spent, change)) {
            (1, _) => Ok(Ok(spent)),
            (_, Err(refused)) => Ok(Err(refused)),
            (_, Ok(())) => Err(StoreError::Corrupt(format!(
                "room {room}: the vote script refused a vote the rule allows ({spent:?})"
            ))),
        }
    }

    async fn set_join_code(&self, room: &str, code: Option<&str>) -> StoreResult<bool> {
        let owner = match code {
            Some(code) => self.join_code_room(code).await?,
            None => None,
        };
        let owner_key = match &owner {
            Some(owner) if owner != room => join_code_key(owner),
            _ => String::new(),
        };
        let done: Option<i64> = ::redis::cmd("EVAL")
            .arg(JOIN_CODE_LUA)
            .arg(3)
            .arg(room_key(room))
            .arg(join_code_key(room))
            .arg(join_codes_key())
            .arg(code.unwrap_or_default())
            .arg(room)
            .arg(owner_key)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        match done {
            None => Err(StoreError::NoRoom(room.to_string())),
            Some(done) => Ok(done == 1),
        }
    }

    async fn join_code(&self, room: &str) -> StoreResult<Option<String>> {
        ::redis::cmd("GET")
            .arg(join_code_key(room))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)
    }

    async fn join_code_room(&self, code: &str) -> StoreResult<Option<String>> {
        let room: Option<String> = ::redis::cmd("HGET")
            .arg(join_codes_key())
            .arg(code)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        let Some(room) = room else {
            return Ok(None);
        };
        // Only while the room's own key still names the code (not deleted, not replaced).
        let current = self.join_code(&room).await?;
        Ok((current.as_deref() == Some(code)).then_some(room))
    }

    async fn votes(&self, room: &str, round: &str) -> StoreResult<Vec<Count>> {
        let all: Vec<(String, u32)> = ::redis::cmd("HGETALL")
            .arg(votes_key(room, round))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        Ok(all
            .into_iter()
            .filter_map(|(field, votes)| {
                let (seat, target) = field.strip_prefix("v\t")?.split_once('\t')?;
                (votes > 0).then(|| Count {
                    seat: seat.to_string(),
                    target: target.to_string(),
                    votes,
                })
            })
            .collect())
    }

    async fn set_aside_updates(&self, room: &str, doc: DocKind) -> StoreResult<Vec<Vec<u8>>> {
        ::redis::cmd("HVALS")
            .arg(set_aside_key(room, doc))
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)
    }

    async fn delete_room(&self, id: &str) -> StoreResult<bool> {
        if id.contains(':') {
            // No such room can exist (`create_room`), and its "record" would be another's key.
            return Ok(false);
        }
        let mut conn = self.conn();
        // Its join code's entry in the shared hash (it counts for nothing once the room's own
        // key is gone, but need not be kept).
        if let Some(code) = self.join_code(id).await? {
            ::redis::cmd("HDEL")
                .arg(join_codes_key())
                .arg(&code)
                .query_async::<i64>(&mut conn)
                .await
                .map_err(redis_err)?;
        }
        // 1. The record: from now on the room is unknown to every node and no write reaches it.
        let (_, removed, _): (i64, i64, i64) = ::redis::pipe()
            .atomic()
            .cmd("SADD")
            .arg(deleting_key())
            .arg(id)
            .cmd("DEL")
            .arg(room_key(id))
            .cmd("ZREM")
            .arg(changed_key())
            .arg(id)
            .query_async(&mut conn)
            .await
            .map_err(redis_err)?;
        // 2. Every other key of the room. None can appear behind the scan (step 1), so one pass
        // finds them all.
        let pattern = format!("{}:*", glob_escape(&room_key(id)));
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<Vec<u8>>) = ::redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await
                .map_err(redis_err)?;
            if !keys.is_empty() {
                ::redis::cmd("UNLINK")
                    .arg(&keys)
                    .exec_async(&mut conn)
                    .await
                    .map_err(redis_err)?;
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
        // 3. Done.
        ::redis::cmd("SREM")
            .arg(deleting_key())
            .arg(id)
            .exec_async(&mut conn)
            .await
            .map_err(redis_err)?;
        Ok(removed == 1)
    }

    async fn touch_rooms(&self, rooms: &[String], at_ms: u64) -> StoreResult<()> {
        if rooms.is_empty() {
            return Ok(());
        }
        let mut pipe = ::redis::pipe();
        for room in rooms {
            let mut zadd = guarded(room, "ZADD", &changed_key());
            // GT: a later time only (nodes touch the same room).
            zadd.arg("GT").arg(at_ms).arg(room);
            pipe.add_command(zadd).ignore();
        }
        pipe.exec_async(&mut self.conn()).await.map_err(redis_err)
    }

    async fn changed_at(&self, id: &str) -> StoreResult<Option<u64>> {
        let score: Option<f64> = ::redis::cmd("ZSCORE")
            .arg(changed_key())
            .arg(id)
            .query_async(&mut self.conn())
            .await
            .map_err(redis_err)?;
        Ok(score.map(|ms| ms as u64))
    }

    async fn stale_rooms(&self, before_ms: u64, now_ms: u64) -> StoreResult<Vec<String>> {
        if !self.backfilled.load(std::sync::atomic::Ordering::Acquire) {
            self.backfill_changed(now_ms).await?;
            self.backfilled
                .store(true, std::sync::atomic::Ordering::Release);
        }
        let mut conn = self.conn();
        let (mut stale, deleting): (Vec<String>, Vec<String>) = ::redis::pipe()
            .cmd("ZRANGE")
            .arg(changed_key())
            .arg("-inf")
            .arg(format!("({before_ms}"))
            .arg("BYSCORE")
            .cmd("SMEMBERS")
            .arg(deleting_key())
            .query_async(&mut conn)
            .await
            .map_err(redis_err)?;
        stale.extend(deleting);
        stale.sort();
        stale.dedup();
        Ok(stale)
    }
}

impl RedisStore {
    /// Gives every room without a change time `now_ms` (rooms made before change times were
    /// recorded): one `SCAN` over the room records, once per process.
    async fn backfill_changed(&self, now_ms: u64) -> StoreResult<()> {
        let mut conn = self.conn();
        let prefix = room_key("");
        let pattern = format!("{}*", glob_escape(&prefix));
        let mut cursor: u64 = 0;
        let mut given = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = ::redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1000)
                .arg("TYPE")
                .arg("string")
                .query_async(&mut conn)
                .await
                .map_err(redis_err)?;
            // A record's key is the prefix and the id; every other string key has a `:` after it.
            let ids: Vec<&str> = keys
                .iter()
                .filter_map(|key| key.strip_prefix(&prefix))
                .filter(|id| !id.contains(':'))
                .collect();
            if !ids.is_empty() {
                let mut pipe = ::redis::pipe();
                for id in &ids {
                    let mut zadd = guarded(id, "ZADD", &changed_key());
                    zadd.arg("NX").arg(now_ms).arg(*id);
                    pipe.add_command(zadd);
                }
                let added: Vec<Option<i64>> =
                    pipe.query_async(&mut conn).await.map_err(redis_err)?;
                given += added.iter().flatten().sum::<i64>();
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
        if given > 0 {
            tracing::info!(
                rooms = given,
                "rooms without a change time count as changed now (retention)"
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::time::Instant;

    use kortvaeg_tests::{Persistence, Redis};

    use super::*;
    use crate::store::conformance;

    /// A Redis without persistence and a store on it.
    async fn fresh() -> (Redis, RedisStore) {
        let server = Redis::start_with(Persistence::Off).await;
        let store = RedisStore::connect(&server.url()).await.expect("connect");
        (server, store)
    }

    #[tokio::test]
    async fn conformance_and_reconnect() {
        let (server, store) = fresh().await;
        assert_eq!(store.kind(), "redis");
        conformance::exercise(&store).await;
        conformance::a_compaction_keeps_the_entries_newer_than_its_state(&store).await;
        drop(store);

        // A new connection sees the same data (what a server restart against a kept Redis does).
        let store = RedisStore::connect(&server.url()).await.expect("reconnect");
        conformance::check_after_exercise(&store).await;
    }

    #[tokio::test]
    async fn deletion_and_retention_leave_no_key_of_the_room() {
        let (_server, store) = fresh().await;
        conformance::deletion(&store).await;
        conformance::voting(&store).await;
        conformance::join_codes(&store).await;
        conformance::retention(&store).await;
        let keys = |pattern: &'static str| {
            let mut conn = store.conn();
            async move {
                let keys: Vec<String> = ::redis::cmd("KEYS")
                    .arg(pattern)
                    .query_async(&mut conn)
                    .await
                    .expect("KEYS");
                keys
            }
        };
        assert_eq!(keys("kortvaeg:room:d").await, Vec::<String>::new());
        assert_eq!(keys("kortvaeg:room:d:*").await, Vec::<String>::new());
        assert!(keys("kortvaeg:room:de:*").await.len() > 5);
        assert_eq!(keys("kortvaeg:rooms:deleting").await, Vec::<String>::new());
    }

    #[tokio::test]
    async fn a_deletion_cut_short_is_finished_by_the_next_sweep() {
        let (_server, store) = fresh().await;
        for id in ["r", "rr"] {
            conformance::room(&store, id).await;
        }
        store
            .write_batch(&[conformance::append("r", DocKind::Wall, b"u")])
            .await
            .expect("append");
        // The first step of a deletion, then a crash.
        ::redis::pipe()
            .atomic()
            .cmd("SADD")
            .arg("kortvaeg:rooms:deleting")
            .arg("r")
            .cmd("DEL")
            .arg("kortvaeg:room:r")
            .exec_async(&mut store.conn())
            .await
            .expect("step 1");
        assert!(
            store.room("r").await.expect("room").is_none(),
            "unreachable"
        );
        let stale = store.stale_rooms(0, 1).await.expect("stale");
        assert_eq!(stale, vec!["r"]);
        assert!(!store.delete_room("r").await.expect("finish"));
        let left: Vec<String> = ::redis::cmd("KEYS")
            .arg("kortvaeg:room:r*")
            .query_async(&mut store.conn())
            .await
            .expect("KEYS");
        assert!(
            left.iter().all(|k| k.starts_with("kortvaeg:room:rr")),
            "{left:?}"
        );
        assert!(store.stale_rooms(0, 1).await.expect("stale").is_empty());
        assert!(store.room("rr").await.expect("room").is_some());
    }

    #[tokio::test]
    async fn rooms_from_before_change_times_count_from_the_first_sweep() {
        let (_server, store) = fresh().await;
        conformance::room(&store, "r").await;
        // As a room made by an earlier version: no change time.
        ::redis::cmd("DEL")
            .arg("kortvaeg:rooms:changed")
            .exec_async(&mut store.conn())
            .await
            .expect("DEL");
        conformance::a_room_without_a_change_time_counts_from_the_first_sweep(&store, "r").await;
    }

    #[tokio::test]
    async fn keys_follow_the_documented_layout() {
        let (_server, store) = fresh().await;
        conformance::room(&store, "r").await;
        store
            .write_batch(&[conformance::append("r", DocKind::Wall, b"u")])
            .await
            .expect("append");
        store
            .write_batch(&[conformance::compact("r", DocKind::Control, b"c2")])
            .await
            .expect("compact");
        store
            .add_snapshot("r", "2025-01-01T00:00:00Z", None, b"sw", b"sc", &[])
            .await
            .expect("snapshot");
        let mut keys: Vec<String> = ::redis::cmd("KEYS")
            .arg("*")
            .query_async(&mut store.conn())
            .await
            .expect("KEYS");
        keys.sort();
        assert_eq!(
            keys,
            [
                "kortvaeg:room:r",
                "kortvaeg:room:r:control:state",
                "kortvaeg:room:r:control:state-id",
                "kortvaeg:room:r:snapshot-seq",
                "kortvaeg:room:r:snapshot:1",
                "kortvaeg:room:r:snapshots",
                "kortvaeg:room:r:wall:state",
                "kortvaeg:room:r:wall:stream",
                "kortvaeg:rooms:changed",
            ]
        );
    }

    #[tokio::test]
    async fn ids_with_colons_are_refused() {
        let (_server, store) = fresh().await;
        let result = store
            .create_room(&conformance::record("a:wall:state"), b"w", b"c")
            .await;
        assert!(matches!(result, Err(StoreError::Redis(_))), "{result:?}");
    }

    #[tokio::test]
    async fn corrupt_values_are_errors_not_panics() {
        let (_server, store) = fresh().await;
        let mut conn = store.conn();
        ::redis::pipe()
            .cmd("SET")
            .arg("kortvaeg:room:bad")
            .arg("{not json")
            .cmd("RPUSH")
            .arg("kortvaeg:room:bad:snapshots")
            .arg("one")
            .cmd("HSET")
            .arg("kortvaeg:room:bad:snapshot:1")
            .arg("taken_at")
            .arg(&b"\xff"[..])
            .cmd("HSET")
            .arg("kortvaeg:room:bad:snapshot:2")
            .arg("taken_at")
            .arg("2025-01-01T00:00:00Z")
            .cmd("SET")
            .arg("kortvaeg:room:bad2:snapshot-seq")
            .arg("-7")
            .cmd("SET")
            .arg("kortvaeg:room:bad2")
            .arg("{}")
            .exec_async(&mut conn)
            .await
            .expect("seed");
        conformance::corrupt_reads_are_reported(&store, "bad").await;
        assert!(matches!(
            store.add_snapshot("bad2", "t", None, b"", b"", &[]).await,
            Err(StoreError::Corrupt(_))
        ));
    }

    #[tokio::test]
    async fn a_dead_redis_gives_errors_not_hangs() {
        let mut server = Redis::start_with(Persistence::Off).await;
        let store = RedisStore::connect(&server.url()).await.expect("connect");
        store.ping().await.expect("ping");
        server.stop().await;

        let limit = Duration::from_secs(8);
        let started = Instant::now();
        let ping = tokio::time::timeout(limit, store.ping())
            .await
            .expect("ping hung");
        assert!(matches!(ping, Err(StoreError::Redis(_))), "{ping:?}");
        let batch = [conformance::append("r", DocKind::Wall, b"u")];
        let write = tokio::time::timeout(limit, store.write_batch(&batch))
            .await
            .expect("write hung");
        assert!(matches!(write, Err(StoreError::Redis(_))), "{write:?}");
        // Again, now that the manager is in its reconnect loop.
        let ping = tokio::time::timeout(limit, store.ping())
            .await
            .expect("ping hung");
        assert!(matches!(ping, Err(StoreError::Redis(_))), "{ping:?}");
        assert!(started.elapsed() < limit, "took {:?}", started.elapsed());
    }

    #[tokio::test]
    async fn connect_to_nothing_fails_quickly() {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("port")
            .port();
        let started = Instant::now();
        let result = RedisStore::connect(&format!("redis://127.0.0.1:{port}/")).await;
        assert!(
            matches!(result, Err(StoreError::Redis(_))),
            "{:?}",
            result.err()
        );
        assert!(started.elapsed() < CONNECT_DEADLINE + Duration::from_secs(1));
    }
}
