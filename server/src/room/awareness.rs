//! A document's presence (awareness) states: who is here and what they are doing. Each
//! connection owns the client ids it set first, until it closes; changes are collected for
//! [`AWARENESS_TICK`] and relayed as one message; with several nodes, this node's changes go to
//! the others through [`super::nodes::Nodes`] and theirs expire when not renewed.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use yrs::sync::{AwarenessUpdate, Message};
use yrs::updates::encoder::Encode;
use yrs::ClientID;

use super::doc::{DocInner, LiveDoc};
use super::error::RoomError;
use super::fanout::{ConnId, Outbound, NOBODY};

/// How long awareness changes are collected before they are relayed as one message.
pub const AWARENESS_TICK: Duration = Duration::from_millis(30);

/// What one connection may put into a document's awareness, from the flags.
#[derive(Debug, Clone, Copy)]
pub struct AwarenessLimits {
    /// Largest presence state (its JSON), in bytes (`--max-awareness-bytes`).
    pub max_state_bytes: usize,
    /// Most presence ids one connection may set (`--max-presence-ids`).
    pub max_ids: usize,
}

/// A presence state as others see it: each of `user`'s fields set as given (`Some`) or removed
/// (`None`), whatever the client put there — a seat's id, name and group come from the seat
/// registry, and an anonymous room's presence carries no name; the rest (colour, role, what it
/// is typing) stays the client's, but for the top-level keys in `dropped`, which are removed. A
/// removal (`null`) stays a removal.
pub fn stamp(json: &str, fields: &[(&str, Option<&str>)], dropped: &[&str]) -> std::sync::Arc<str> {
    use serde_json::{json, Value};
    if json.trim() == "null" {
        return json.into();
    }
    let mut state = match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(state)) => state,
        _ => serde_json::Map::new(),
    };
    for key in dropped {
        state.remove(*key);
    }
    let user = state.entry("user").or_insert_with(|| json!({}));
    if !user.is_object() {
        *user = json!({});
    }
    if let Value::Object(user) = user {
        for (key, value) in fields {
            match value {
                Some(value) => user.insert(key.to_string(), json!(value)),
                None => user.remove(*key),
            };
        }
    }
    Value::Object(state).to_string().into()
}

impl LiveDoc {
    /// Applies an awareness update. Only the states it changed (a newer clock) are relayed, and
    /// not at once: changes are collected for [`AWARENESS_TICK`] and sent as one message, so a
    /// burst of cursor moves in a big room costs one fan-out, not one per move (a Yjs
    /// server that relays every awareness message at once is swamped by a big room's cursors). `announced` holds the client ids this connection set a state for (so
    /// it can remove them when it closes); a state over `limits.max_state_bytes`, or more than
    /// `limits.max_ids` ids on one connection, refuses the whole update (4413, 4429).
    pub fn apply_awareness(
        self: &Arc<Self>,
        conn: ConnId,
        mut update: AwarenessUpdate,
        announced: &mut HashSet<ClientID>,
        limits: AwarenessLimits,
    ) -> Result<(), RoomError> {
        if let Some(entry) = update
            .clients
            .values()
            .find(|entry| entry.json.len() > limits.max_state_bytes)
        {
            return Err(RoomError::TooLarge(format!(
                "a presence state of {} bytes: at most {} (--max-awareness-bytes)",
                entry.json.len(),
                limits.max_state_bytes
            )));
        }
        let mut inner = self.lock()?;
        update.clients.retain(|id, _| {
            inner
                .awareness_here
                .get(id)
                .is_none_or(|owner| *owner == conn)
        });
        if update.clients.is_empty() {
            return Ok(());
        }
        let new: Vec<ClientID> = update
            .clients
            .iter()
            .filter(|(id, entry)| entry.json.as_ref() != "null" && !announced.contains(id))
            .map(|(id, _)| *id)
            .collect();
        if announced.len() + new.len() > limits.max_ids {
            return Err(RoomError::TooMany(format!(
                "more than {} presence ids on one connection (--max-presence-ids)",
                limits.max_ids
            )));
        }
        let summary = inner
            .awareness
            .apply_update_summary(update)
            .map_err(|e| RoomError::Refused(format!("bad awareness update: {e}")))?;
        inner
            .awareness_here
            .extend(new.iter().map(|id| (*id, conn)));
        announced.extend(new);
        if let Some(summary) = summary {
            self.mark_awareness_changed(&mut inner, summary.all_changes(), true);
        }
        Ok(())
    }

    /// Removes the awareness states a closed connection had set, for everyone.
    pub fn remove_awareness(self: &Arc<Self>, conn: ConnId, clients: &[ClientID]) {
        if clients.is_empty() {
            return;
        }
        let Ok(mut inner) = self.lock() else { return };
        let owned: Vec<ClientID> = clients
            .iter()
            .copied()
            .filter(|id| inner.awareness_here.get(id) == Some(&conn))
            .collect();
        for id in &owned {
            inner.awareness.remove_state(*id);
            inner.awareness_here.remove(id);
        }
        self.mark_awareness_changed(&mut inner, owned, true);
    }

    /// Applies an awareness update another node relayed; only its changes go to local clients.
    pub fn apply_remote_awareness(self: &Arc<Self>, mut update: AwarenessUpdate) {
        let Ok(mut inner) = self.lock() else { return };
        // A state one of this node's connections owns is that connection's alone.
        update
            .clients
            .retain(|id, _| !inner.awareness_here.contains_key(id));
        if let Ok(Some(summary)) = inner.awareness.apply_update_summary(update) {
            self.mark_awareness_changed(&mut inner, summary.all_changes(), false);
        }
    }

    /// Removes awareness states from other nodes not renewed within `timeout` (clients renew
    /// theirs every 15 s; a state that stops is from a client whose node died).
    pub fn expire_remote_awareness(self: &Arc<Self>, timeout: Duration) {
        let Ok(mut inner) = self.lock() else { return };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        let stale: Vec<ClientID> = inner
            .awareness
            .iter()
            .filter(|(id, state)| {
                state.data.is_some()
                    && !inner.awareness_here.contains_key(id)
                    && now.saturating_sub(state.last_updated) > timeout.as_millis() as u64
            })
            .map(|(id, _)| id)
            .collect();
        if stale.is_empty() {
            return;
        }
        for id in &stale {
            inner.awareness.remove_state(*id);
        }
        self.mark_awareness_changed(&mut inner, stale, false);
    }

    /// Every awareness state this node knows, for another node that asked.
    pub fn awareness_update(&self) -> Option<AwarenessUpdate> {
        let inner = self.lock().ok()?;
        inner
            .awareness
            .update()
            .ok()
            .filter(|u| !u.clients.is_empty())
    }

    /// Adds `changed` to the states to relay; the first change of a tick schedules the relay.
    fn mark_awareness_changed(
        self: &Arc<Self>,
        inner: &mut DocInner,
        changed: Vec<ClientID>,
        here: bool,
    ) {
        let first = inner.awareness_changed.is_empty();
        if here {
            inner.awareness_changed_here.extend(changed.iter().copied());
        }
        inner.awareness_changed.extend(changed);
        if first && !inner.awareness_changed.is_empty() {
            let doc = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(AWARENESS_TICK).await;
                doc.relay_awareness();
            });
        }
    }

    /// Sends the awareness states changed since the last relay, in one message, to everyone
    /// (the sender's own state comes back with the same clock and is ignored by its client).
    fn relay_awareness(&self) {
        let Ok(mut inner) = self.lock() else { return };
        let changed = std::mem::take(&mut inner.awareness_changed);
        let here = std::mem::take(&mut inner.awareness_changed_here);
        let to_nodes = match &self.nodes {
            Some(_) if !here.is_empty() => inner.awareness.update_with_clients(here).ok(),
            _ => None,
        };
        let local = inner.awareness.update_with_clients(changed);
        drop(inner);
        if let Ok(update) = local {
            self.publish(Outbound {
                from: NOBODY,
                frame: Bytes::from(Message::Awareness(update).encode_v1()),
            });
        }
        if let (Some(nodes), Some(update)) = (&self.nodes, to_nodes) {
            nodes.awareness(self.room(), self.kind, &update);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::stamp;
    use serde_json::{json, Value};

    #[test]
    fn a_seats_presence_carries_the_seats_name_and_group() {
        let stamped = |json: &str| -> Value {
            serde_json::from_str(&stamp(json, &seat_fields(), &[])).unwrap()
        };
        assert_eq!(
            stamped(r#"{"user":{"name":"Bo","group":"g2","color":"red"},"typing":"c"}"#),
            json!({"user": {"seat_id": "s1", "name": "Anne", "group": "g1", "color": "red"}, "typing": "c"})
        );
        assert_eq!(stamped(r#"{"typing":"c"}"#)["user"]["name"], "Anne");
        assert_eq!(
            stamped(r#"{"user":"Bo"}"#)["user"],
            json!({"seat_id": "s1", "name": "Anne", "group": "g1"})
        );
        assert_eq!(
            stamped("[1,2]"),
            json!({"user": {"seat_id": "s1", "name": "Anne", "group": "g1"}})
        );
        assert_eq!(
            &*stamp("null", &seat_fields(), &[]),
            "null",
            "a removal stays one"
        );
        // An anonymous room's presence: the name (and in a fully anonymous one the seat) removed.
        let anonymous = stamp(
            r#"{"user":{"name":"Bo","seat_id":"x","color":"red"}}"#,
            &[("seat_id", None), ("name", None), ("group", Some("g1"))],
            &[],
        );
        // A participant's claim to show the wall for the facilitator is dropped, its role said.
        let claimed = stamp(
            r#"{"user":{"role":"facilitator"},"showing":{"view":"wall"},"typing":"c"}"#,
            &[("role", Some("participant"))],
            &["showing"],
        );
        assert_eq!(
            serde_json::from_str::<Value>(&claimed).unwrap(),
            json!({"user": {"role": "participant"}, "typing": "c"})
        );
        assert_eq!(
            serde_json::from_str::<Value>(&anonymous).unwrap(),
            json!({"user": {"group": "g1", "color": "red"}})
        );
    }

    fn seat_fields() -> [(&'static str, Option<&'static str>); 3] {
        [
            ("seat_id", Some("s1")),
            ("name", Some("Anne")),
            ("group", Some("g1")),
        ]
    }
}
