//! The credentials each open WebSocket on this replica holds, so revocations reach live
//! connections: a session or key revoked on any replica is announced on the bus
//! (`auth:revoked`), and every replica closes its sockets holding it with 4403. When the bus
//! may have lost messages (a Redis reconnect), every signed-in socket is checked afresh.
//!
//! Operations on a socket re-check its credentials anyway (see `SocketCredentials`); closing
//! the socket also ends the subscriptions it already runs.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use agora_identity::api::{REVOCATIONS_CHANNEL, Revocation};
use agora_platform::{Platform, auth::Viewer, bus::BusMessage};
use agora_schema::SocketCredentials;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use tokio::sync::{mpsc, watch};

use crate::AppState;

/// Who a socket is signed in as, and until when its access token holds.
#[derive(Debug, Clone, Default)]
pub(crate) struct Identity {
    /// The viewer its credentials gave at the last check.
    pub(crate) viewer: Viewer,
    /// The access token's expiry (API keys and anonymous sockets have none).
    pub(crate) expires_at: Option<DateTime<Utc>>,
}

struct Entry {
    identity: watch::Receiver<Identity>,
    credentials: SocketCredentials,
    close: mpsc::Sender<&'static str>,
}

/// The open WebSockets of this replica, by connection.
#[derive(Clone, Default)]
pub struct LiveSockets {
    sockets: Arc<Mutex<HashMap<u64, Entry>>>,
    next_id: Arc<AtomicU64>,
}

/// A socket's place in [`LiveSockets`]; removed when dropped.
pub(crate) struct Registration {
    sockets: LiveSockets,
    id: u64,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut sockets) = self.sockets.sockets.lock() {
            sockets.remove(&self.id);
        }
    }
}

impl LiveSockets {
    /// Tracks a socket: `close` receives the reason when its credentials are revoked.
    pub(crate) fn register(
        &self,
        identity: watch::Receiver<Identity>,
        credentials: SocketCredentials,
        close: mpsc::Sender<&'static str>,
    ) -> Registration {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut sockets) = self.sockets.lock() {
            sockets.insert(
                id,
                Entry {
                    identity,
                    credentials,
                    close,
                },
            );
        }
        Registration {
            sockets: self.clone(),
            id,
        }
    }

    /// Closes every socket holding the credentials `revocation` names; returns how many.
    pub fn close_revoked(&self, revocation: &Revocation) -> usize {
        let Ok(sockets) = self.sockets.lock() else {
            return 0;
        };
        let mut closed = 0;
        for entry in sockets.values() {
            if revocation.applies_to(&entry.identity.borrow().viewer) {
                // A full channel already holds a reason to close.
                let _ = entry.close.try_send(revocation.reason());
                closed += 1;
            }
        }
        closed
    }

    /// Authenticates every signed-in socket's credentials again and closes those refused: the
    /// bus may have lost a revocation.
    pub async fn recheck(&self, platform: &Platform) -> usize {
        let signed_in: Vec<_> = match self.sockets.lock() {
            Ok(sockets) => sockets
                .values()
                .filter(|entry| entry.identity.borrow().viewer != Viewer::Anonymous)
                .map(|entry| (entry.credentials.clone(), entry.close.clone()))
                .collect(),
            Err(_) => return 0,
        };
        let mut closed = 0;
        for (credentials, close) in signed_in {
            if credentials.get().authenticate(platform).await.is_err() {
                let _ = close.try_send("these credentials are no longer valid; sign in again");
                closed += 1;
            }
        }
        closed
    }
}

/// Listens for revocations announced by any replica until shutdown, closing this replica's
/// sockets that hold them.
pub async fn watch_revocations(state: AppState) {
    let platform = &state.platform;
    let mut announcements = platform.bus.subscribe(REVOCATIONS_CHANNEL).await;
    loop {
        let message = tokio::select! {
            message = announcements.next() => message,
            () = state.shutdown.cancelled() => return,
        };
        match message {
            Some(BusMessage::Event(payload)) => {
                match serde_json::from_str::<Revocation>(&payload) {
                    Ok(revocation) => {
                        let closed = state.live.close_revoked(&revocation);
                        tracing::debug!(?revocation, closed, "revocation applied to open sockets");
                    }
                    Err(err) => tracing::warn!(error = %err, "unreadable revocation announcement"),
                }
            }
            Some(BusMessage::Gap) => {
                let closed = state.live.recheck(platform).await;
                tracing::info!(closed, "bus gap: open sockets' credentials checked again");
            }
            None => return,
        }
    }
}
