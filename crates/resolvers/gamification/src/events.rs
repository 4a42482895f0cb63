//! Events gamification writes to the outbox, and the handler that awards points.

use std::collections::BTreeSet;

use agora_entities::platform::outbox_event;
use agora_platform::{
    AppResult, Platform,
    outbox::{AfterCommit, NewEvent, OutboxHandler},
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::service::{
    awards::{self, Partition},
    leaderboard::{self, Scope},
    rules::{CONSUMED, RuleCache},
};

/// The outbox record of `body`, an event about `user_id`.
fn about_user(name: &'static str, user_id: Uuid, body: &impl Serialize) -> NewEvent {
    NewEvent {
        event_type: name,
        aggregate_id: Some(user_id.to_string()),
        payload: serde_json::to_value(body).unwrap_or_default(),
    }
}

/// `LEVEL_UP`: a user reached a new level (notifications tell them).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LevelUp {
    /// Who.
    pub user_id: Uuid,
    /// The new level.
    pub level: i32,
    /// The level before.
    pub previous_level: i32,
    /// Total XP now.
    pub xp: i64,
}

impl LevelUp {
    /// Stored event name.
    pub const NAME: &'static str = "LEVEL_UP";

    /// The outbox record.
    pub fn event(&self) -> NewEvent {
        about_user(Self::NAME, self.user_id, self)
    }
}

/// `ACHIEVEMENT_UNLOCKED`: a user unlocked an achievement (once per user and achievement).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AchievementUnlocked {
    /// Who.
    pub user_id: Uuid,
    /// The achievement's key.
    pub achievement_key: String,
    /// Its name.
    pub name: String,
    /// What it was for.
    pub description: String,
    /// When.
    pub unlocked_at: DateTime<Utc>,
}

impl AchievementUnlocked {
    /// Stored event name.
    pub const NAME: &'static str = "ACHIEVEMENT_UNLOCKED";

    /// The outbox record.
    pub fn event(&self) -> NewEvent {
        about_user(Self::NAME, self.user_id, self)
    }
}

/// `STREAK_AT_RISK`: the evening reminder for a user with a streak and nothing done today.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StreakAtRisk {
    /// Who.
    pub user_id: Uuid,
    /// The streak that ends at local midnight.
    pub streak: i32,
    /// Freezes held (one would save it).
    pub freezes: i32,
    /// The user's local date.
    pub local_date: String,
}

impl StreakAtRisk {
    /// Stored event name.
    pub const NAME: &'static str = "STREAK_AT_RISK";

    /// The outbox record.
    pub fn event(&self) -> NewEvent {
        about_user(Self::NAME, self.user_id, self)
    }
}

/// Awards points for every consumed event, a whole claimed batch per transaction; writes the
/// changed totals to Redis before commit (`ZADD GT`: a retry converges) and announces changed
/// boards on the bus after commit, so a subscriber that re-reads sees the new totals.
///
/// One handler per [`Partition`] of the users (`AGORA_POINTS_PARTITIONS`): each applies only
/// its users' share of an event and records its own delivery, so two workers' batches touch
/// disjoint rows whenever they are in different partitions and overlap instead of queueing on
/// each other's row locks.
pub struct PointsHandler {
    rules: RuleCache,
    partition: Partition,
    name: String,
}

impl PointsHandler {
    /// The handler of `partition`; the one of a single partition keeps the plain name
    /// `gamification.points`.
    pub fn new(partition: Partition) -> Self {
        let name = if partition.count == 1 {
            "gamification.points".to_owned()
        } else {
            format!(
                "gamification.points.{}of{}",
                partition.index + 1,
                partition.count
            )
        };
        Self {
            rules: RuleCache::default(),
            partition,
            name,
        }
    }
}

#[async_trait]
impl OutboxHandler for PointsHandler {
    fn name(&self) -> &str {
        &self.name
    }

    fn handles(&self, event_type: &str) -> bool {
        CONSUMED.contains(&event_type)
    }

    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &outbox_event::Model,
        platform: &Platform,
    ) -> AppResult<()> {
        self.handle_batch(txn, &[event], platform).await.map(drop)
    }

    async fn handle_batch(
        &self,
        txn: &DatabaseTransaction,
        events: &[&outbox_event::Model],
        platform: &Platform,
    ) -> AppResult<AfterCommit> {
        let book = self.rules.get(txn).await?;
        let now = platform.clock.now();
        let started = std::time::Instant::now();
        let outcome =
            awards::apply(txn, events, self.partition, &book.rules, &book.catalog, now).await?;
        let applied = started.elapsed();
        leaderboard::push(platform, &outcome.totals).await?;
        tracing::debug!(
            events = events.len(),
            awards = outcome.awards,
            totals = outcome.totals.len(),
            apply_ms = applied.as_millis() as u64,
            redis_ms = (started.elapsed() - applied).as_millis() as u64,
            "points batch applied"
        );
        metrics::counter!("agora_points_awards_total").increment(outcome.awards as u64);
        let channels: BTreeSet<String> = outcome
            .totals
            .iter()
            .filter_map(|total| Scope::of_board(&total.board))
            .map(Scope::channel)
            .collect();
        Ok(AfterCommit {
            publish: channels.into_iter().map(|c| (c, "{}".to_owned())).collect(),
        })
    }
}
