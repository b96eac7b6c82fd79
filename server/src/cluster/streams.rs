//! The stream transport of several nodes on one Redis: reading the documents' streams after a
//! position (one blocking `XREAD` on a connection of its own), the stored states another node
//! compacted past a position, the compaction lock and the compaction script, and the pub/sub
//! connection presence goes over. The keys are the store's (`store/redis.rs`).

use std::sync::Arc;
use std::time::Duration;

use crate::store::redis::{
    entries, guarded, lock_key, parse_id, redis_err, room_key, state_id_key, state_key, stream_key,
    RedisStore, COMPACT_LUA, CONNECTION_TIMEOUT, RESPONSE_TIMEOUT,
};
use crate::store::{DocKind, StoreResult, StreamEntry, StreamId};

/// The streams of the store's documents, as the cluster uses them. Cheap to clone.
#[derive(Clone)]
pub struct Streams {
    store: Arc<RedisStore>,
}

impl Streams {
    pub fn new(store: Arc<RedisStore>) -> Self {
        Streams { store }
    }

    /// This process's node id (in the `n` field of the stream entries it appends).
    pub fn node(&self) -> &str {
        self.store.node()
    }

    /// A connection of its own, for a blocking `XREAD` (which would hold up every other call on
    /// the shared connection while it waits).
    pub async fn dedicated_connection(&self) -> StoreResult<::redis::aio::MultiplexedConnection> {
        let config = ::redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECTION_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        self.store
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(redis_err)
    }

    /// A pub/sub connection (awareness between nodes).
    pub async fn pubsub(&self) -> StoreResult<::redis::aio::PubSub> {
        self.store
            .client
            .get_async_pubsub()
            .await
            .map_err(redis_err)
    }

    /// Publishes `payload` on `channel`.
    pub async fn publish(&self, channel: &str, payload: &[u8]) -> StoreResult<()> {
        ::redis::cmd("PUBLISH")
            .arg(channel)
            .arg(payload)
            .exec_async(&mut self.store.conn())
            .await
            .map_err(redis_err)
    }

    /// The entries after each position, waiting up to `block` for the first (one `XREAD` over
    /// every stream). The answer has one list per position, in the same order.
    pub async fn read_after(
        &self,
        conn: &mut ::redis::aio::MultiplexedConnection,
        positions: &[(String, DocKind, StreamId)],
        block: Duration,
        count: usize,
    ) -> StoreResult<Vec<Vec<StreamEntry>>> {
        let keys: Vec<String> = positions
            .iter()
            .map(|(room, doc, _)| stream_key(room, *doc))
            .collect();
        let mut cmd = ::redis::cmd("XREAD");
        cmd.arg("COUNT")
            .arg(count)
            .arg("BLOCK")
            .arg(block.as_millis() as u64)
            .arg("STREAMS")
            .arg(&keys);
        for (_, _, id) in positions {
            cmd.arg(id.to_string());
        }
        let reply: Option<::redis::streams::StreamReadReply> =
            cmd.query_async(conn).await.map_err(redis_err)?;
        let mut out: Vec<Vec<StreamEntry>> = vec![Vec::new(); positions.len()];
        for stream in reply.map(|r| r.keys).unwrap_or_default() {
            if let Some(i) = keys.iter().position(|k| *k == stream.key) {
                out[i] = entries(&stream.key, stream.ids)?;
            }
        }
        Ok(out)
    }

    /// For each position, the stored state if it was compacted past that position (another node
    /// trimmed entries this one has not read yet): the state and its id.
    pub async fn states_past(
        &self,
        positions: &[(String, DocKind, StreamId)],
    ) -> StoreResult<Vec<Option<(StreamId, Vec<u8>)>>> {
        if positions.is_empty() {
            return Ok(Vec::new());
        }
        // One MGET for every document the reader holds, after every read: not one GET each.
        let mut ids = ::redis::cmd("MGET");
        for (room, doc, _) in positions {
            ids.arg(state_id_key(room, *doc));
        }
        let ids: Vec<Option<Vec<u8>>> = ids
            .query_async(&mut self.store.conn())
            .await
            .map_err(redis_err)?;
        let mut out = Vec::with_capacity(positions.len());
        for ((room, doc, position), id) in positions.iter().zip(ids) {
            match parse_id(&state_id_key(room, *doc), id)? {
                Some(id) if id > *position => {
                    let (state, id): (Option<Vec<u8>>, Option<Vec<u8>>) = ::redis::pipe()
                        .atomic()
                        .cmd("GET")
                        .arg(state_key(room, *doc))
                        .cmd("GET")
                        .arg(state_id_key(room, *doc))
                        .query_async(&mut self.store.conn())
                        .await
                        .map_err(redis_err)?;
                    let id = parse_id(&state_id_key(room, *doc), id)?.unwrap_or_default();
                    out.push(state.map(|state| (id, state)));
                }
                _ => out.push(None),
            }
        }
        Ok(out)
    }

    /// Takes the compaction lock of a document for `ttl` if no node holds it. The one compactor
    /// at a time: a node that does not get it leaves the compaction to the holder. Never taken
    /// for a room that was deleted.
    pub async fn lock_compaction(
        &self,
        room: &str,
        doc: DocKind,
        ttl: Duration,
    ) -> StoreResult<bool> {
        let mut set = guarded(room, "SET", &lock_key(room, doc));
        set.arg(&self.store.node)
            .arg("NX")
            .arg("PX")
            .arg(ttl.as_millis() as u64);
        let set: Option<String> = set
            .query_async(&mut self.store.conn())
            .await
            .map_err(redis_err)?;
        Ok(set.is_some())
    }

    /// Compacts under this node's lock (taken with [`Streams::lock_compaction`]) and releases
    /// it. False if the lock was lost meanwhile or a newer state is already stored.
    pub async fn compact_locked(
        &self,
        room: &str,
        doc: DocKind,
        state: &[u8],
        upto: StreamId,
    ) -> StoreResult<bool> {
        let done: i64 = ::redis::cmd("EVAL")
            .arg(COMPACT_LUA)
            .arg(5)
            .arg(state_key(room, doc))
            .arg(state_id_key(room, doc))
            .arg(stream_key(room, doc))
            .arg(lock_key(room, doc))
            .arg(room_key(room))
            .arg(state)
            .arg(upto.to_string())
            .arg(&self.store.node)
            .query_async(&mut self.store.conn())
            .await
            .map_err(redis_err)?;
        Ok(done == 1)
    }
}
