//! Retention: rooms are deleted `--retain-days` after their last change, so personal data (names,
//! cards with their authors) is not kept longer than the work needs (`docs/DEPLOY.md`, "Personal
//! data").
//!
//! "Last change" is the room's change time in the store: its creation, then the latest time the
//! store writer recorded an update of it (at most once a minute per room, `room/writer.rs`). A
//! sweep every `--retention-sweep-ms` (an hour) asks the store for the rooms changed before the
//! cut-off ([`Store::stale_rooms`]) and deletes each as the facilitator would
//! ([`Rooms::delete`]): clients closed on every node, everything gone. With several nodes every
//! node sweeps; a room deleted by one is simply not there for the next. With `--retain-days 0`
//! nothing is deleted for age, but the sweep still runs with a cut-off of 0, which finishes a
//! deletion a crash interrupted (Redis) and gives rooms from before change times a time.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use crate::room::{DeletedBy, Rooms};
use crate::store::{unix_ms, Store};

/// How often the writer records a room's change time at most, when retention does not ask for
/// more often.
pub const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// How often the writer records a room's change time: a minute, or a tenth of a (very short, as
/// in tests) retention period, so a room in use is never taken for idle.
pub fn touch_every(period: Option<Duration>) -> Duration {
    match period {
        Some(period) => TOUCH_EVERY.min(period / 10),
        None => TOUCH_EVERY,
    }
}

/// When a room last changed at `changed_ms` is deleted (RFC 3339); a room without a change time
/// gets one at the next sweep, "now".
pub fn deletes_at(changed_ms: Option<u64>, period: Duration) -> String {
    let changed = changed_ms.unwrap_or_else(|| unix_ms(SystemTime::now()));
    let at = SystemTime::UNIX_EPOCH + Duration::from_millis(changed) + period;
    chrono::DateTime::<chrono::Utc>::from(at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Sweeps every `every` (the first at once) until shutdown. `period`: `--retain-days`, `None`
/// when rooms are kept.
pub async fn run(
    rooms: Rooms,
    store: Arc<dyn Store>,
    period: Option<Duration>,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !*shutdown.borrow() {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => continue,
        }
        let now = SystemTime::now();
        let before = period.and_then(|p| now.checked_sub(p)).map_or(0, unix_ms);
        let stale = match store.stale_rooms(before, unix_ms(now)).await {
            Ok(stale) => stale,
            Err(error) => {
                tracing::warn!(%error, "retention sweep: cannot list the rooms");
                continue;
            }
        };
        for id in stale {
            if let Err(error) = rooms.delete(&id, DeletedBy::Retention).await {
                tracing::warn!(%error, room = id, "retention sweep: the room could not be deleted");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deletes_at_is_the_change_time_plus_the_period() {
        let day = Duration::from_secs(86_400);
        // 2025-01-02T03:04:05Z
        assert_eq!(
            deletes_at(Some(1_735_787_045_000), 180 * day),
            "2025-07-01T03:04:05Z"
        );
    }

    #[test]
    fn change_times_are_recorded_often_enough_for_the_period() {
        assert_eq!(touch_every(None), TOUCH_EVERY);
        assert_eq!(touch_every(Some(Duration::from_secs(86_400))), TOUCH_EVERY);
        assert_eq!(
            touch_every(Some(Duration::from_secs(3))),
            Duration::from_millis(300)
        );
    }
}
