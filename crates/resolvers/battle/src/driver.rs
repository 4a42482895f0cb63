//! The battle driver: advances every room whose deadline has passed (question end, reveal end,
//! quick-match start, idle-lobby cleanup). The deadlines live in the database, so the driver
//! holds no state: a restarted server, or another replica, carries on from them. Every replica
//! runs one; each step locks the room and re-checks it, so a step happens once however many
//! drivers see it due.

use std::time::Duration;

use agora_platform::Platform;
use tokio_util::sync::CancellationToken;

use crate::service::play;

/// Longest sleep between looks at the deadlines (also bounds how late a step can be when the
/// clock is moved by hand in tests).
pub const TICK: Duration = Duration::from_millis(200);

/// Runs until `shutdown`.
pub async fn run(platform: Platform, shutdown: CancellationToken) {
    loop {
        let now = platform.clock.now();
        let wait = match play::due_rooms(&platform, now).await {
            Ok((due, next)) => {
                for room in due {
                    if let Err(e) = play::advance(&platform, room).await {
                        tracing::warn!(%room, error = e.log_message(), "battle step failed; will retry");
                    }
                }
                next.and_then(|at| (at - now).to_std().ok())
                    .map_or(TICK, |d| d.min(TICK))
            }
            Err(e) => {
                tracing::warn!(
                    error = e.log_message(),
                    "battle driver could not read deadlines"
                );
                Duration::from_secs(1)
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = shutdown.cancelled() => break,
        }
    }
}
