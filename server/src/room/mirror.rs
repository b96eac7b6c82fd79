//! What the control document says that every update and every connection must check, mirrored
//! out of it after each of its changes: whether the wall is closed (`meta.phase == "closed"`:
//! participants' writes are refused) and who may read which group document (`meta.visibility`,
//! `revealed`). Reading it costs an atomic load or a watch borrow, not the control document's lock.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::watch;
use yrs::Doc;

use kortvaeg_shared::groups::Visibility;
use kortvaeg_shared::projection;

pub struct ControlMirror {
    wall_closed: AtomicBool,
    visibility: watch::Sender<Visibility>,
}

impl ControlMirror {
    pub fn of(control: &Doc) -> ControlMirror {
        let mirror = ControlMirror {
            wall_closed: AtomicBool::new(false),
            visibility: watch::Sender::new(Visibility::default()),
        };
        mirror.refresh(control);
        mirror
    }

    /// Reads the control document again (after a change of it).
    pub fn refresh(&self, control: &Doc) {
        let closed = projection::phase(control) == kortvaeg_shared::schema::phase::CLOSED;
        self.wall_closed.store(closed, Ordering::Release);
        let visibility = Visibility::of(control);
        self.visibility.send_if_modified(|current| {
            let changed = *current != visibility;
            *current = visibility;
            changed
        });
    }

    pub fn wall_closed(&self) -> bool {
        self.wall_closed.load(Ordering::Acquire)
    }

    /// Who may read which group document now, changing as the facilitator switches or reveals.
    pub fn visibility(&self) -> watch::Receiver<Visibility> {
        self.visibility.subscribe()
    }
}
