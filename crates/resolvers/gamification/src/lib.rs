//! Gamification: points, levels, streaks, achievements and live leaderboards.
//!
//! Nothing here is called by other domains. The [`events::PointsHandler`] consumes their outbox
//! events (the `agora_events::EventKind`s in `service::rules::CONSUMED`: `BATTLE_FINISHED`,
//! `QUESTION_PUBLISHED`, `USER_SIGNED_IN`, ...), prices them with
//! the `point_rules` table and writes the points ledger, progress, streaks, counters,
//! achievements and leaderboard totals in one transaction per claimed batch; it emits
//! `LEVEL_UP` and `ACHIEVEMENT_UNLOCKED` (and the reminder `STREAK_AT_RISK`) for notifications. Leaderboards read Redis sorted
//! sets in production and the `leaderboard_scores` table in embedded mode (same order in
//! both). The evening streak-at-risk reminder is a scheduled job.
#![warn(missing_docs, unreachable_pub)]

pub mod api;
pub(crate) mod events;
mod query;
pub(crate) mod service;
mod settings;
mod subscription;
pub(crate) mod types;

pub use query::GamificationQuery;
pub use settings::GamificationSettings;
pub use subscription::GamificationSubscription;
