//! The outbox handler that awards points for other domains' events (the kinds in
//! [`CONSUMED`]). Gamification emits `LEVEL_UP`, `ACHIEVEMENT_UNLOCKED` (from the points
//! batch) and `STREAK_AT_RISK` (the evening reminder), typed in `agora_events`.

use std::collections::BTreeSet;

use agora_entities::platform::outbox_event;
use agora_events::EventKind;
use agora_platform::{
    AppResult, Platform,
    outbox::{AfterCommit, OutboxHandler},
};
use async_trait::async_trait;
use sea_orm::DatabaseTransaction;

use crate::service::{
    awards::{self, Partition},
    leaderboard::{self, Scope},
    rules::{CONSUMED, RuleCache},
};

/// Awards points for every consumed event, a whole claimed batch per transaction; writes the
/// changed totals to Redis before commit (`ZADD GT`: a retry converges) and announces changed
/// boards on the bus after commit, so a subscriber that re-reads sees the new totals.
///
/// One handler per [`Partition`] of the users (`AGORA_POINTS_PARTITIONS`): each applies only
/// its users' share of an event and records its own delivery, so two workers' batches touch
/// disjoint rows whenever they are in different partitions and overlap instead of queueing on
/// each other's row locks.
pub(crate) struct PointsHandler {
    rules: RuleCache,
    partition: Partition,
    name: String,
}

impl PointsHandler {
    /// The handler of `partition`; the one of a single partition keeps the plain name
    /// `gamification.points`.
    pub(crate) fn new(partition: Partition) -> Self {
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

    fn consumes(&self) -> &'static [EventKind] {
        CONSUMED
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
            ..AfterCommit::default()
        })
    }
}
