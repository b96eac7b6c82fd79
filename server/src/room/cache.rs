//! What the registry keeps of the store's answers about each room (its record, its seats), so
//! token checks stay off the store: trusted for a moment, and for as long as the store is
//! unreachable (the clients of a live room keep connecting in an outage).

use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;

use crate::store::StoreError;

/// How long a cached room record is trusted: the participant token can be replaced (a new join
/// link) on any node, and every node refuses the old one at most this long after.
const RECORD_FRESH: Duration = Duration::from_secs(1);

/// What the store says of each room, trusted for [`RECORD_FRESH`] and, while the store is
/// unreachable, for as long as it is (the clients of a live room keep connecting in an outage).
pub struct Cache<T>(DashMap<String, (std::time::Instant, Arc<T>)>);

impl<T> Default for Cache<T> {
    fn default() -> Self {
        Cache(DashMap::new())
    }
}

impl<T> Cache<T> {
    /// The cached value if fresh; else what `load` reads (`None`: nothing to cache), or the
    /// stale value if `load` fails.
    pub async fn get(
        &self,
        id: &str,
        load: impl std::future::Future<Output = Result<Option<T>, StoreError>>,
    ) -> Result<Option<Arc<T>>, StoreError> {
        let cached = self.0.get(id).map(|entry| entry.clone());
        if let Some((at, value)) = &cached {
            if at.elapsed() < RECORD_FRESH {
                return Ok(Some(value.clone()));
            }
        }
        match load.await {
            Ok(Some(value)) => {
                let value = Arc::new(value);
                self.0
                    .insert(id.to_string(), (std::time::Instant::now(), value.clone()));
                Ok(Some(value))
            }
            Ok(None) => Ok(None),
            Err(error) => cached.map(|(_, value)| Some(value)).ok_or(error),
        }
    }

    pub fn forget(&self, id: &str) {
        self.0.remove(id);
    }
}
