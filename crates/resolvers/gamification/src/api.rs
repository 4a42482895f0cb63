//! What the server and other domains may ask of gamification.

use std::sync::Arc;

use agora_platform::{AppResult, Platform, outbox::OutboxHandler, schedule::ScheduledJob};

pub use crate::service::leaderboard::Rebuilt;
use crate::{events::PointsHandler, service};

/// Gamification's outbox handlers.
pub fn outbox_handlers() -> Vec<Arc<dyn OutboxHandler>> {
    vec![Arc::new(PointsHandler::default())]
}

/// Gamification's scheduled jobs.
pub fn jobs() -> Vec<Arc<dyn ScheduledJob>> {
    vec![service::reminders::job()]
}

/// Recomputes every leaderboard from the points ledger and replaces the Redis boards
/// (`agora leaderboards rebuild`).
pub async fn rebuild_leaderboards(platform: &Platform) -> AppResult<Rebuilt> {
    service::leaderboard::rebuild(platform).await
}
