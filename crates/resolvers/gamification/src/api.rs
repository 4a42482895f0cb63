//! What the server and other domains may ask of gamification.

use std::sync::Arc;

use agora_platform::{AppResult, Platform, outbox::OutboxHandler, schedule::ScheduledJob};

pub use crate::service::leaderboard::Rebuilt;
use crate::{events::PointsHandler, service, service::awards::Partition};

/// Gamification's outbox handlers: the points handler in `partitions` partitions of the users.
pub fn outbox_handlers(partitions: u32) -> Vec<Arc<dyn OutboxHandler>> {
    let count = partitions.max(1);
    (0..count)
        .map(|index| {
            Arc::new(PointsHandler::new(Partition { index, count })) as Arc<dyn OutboxHandler>
        })
        .collect()
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

/// Writes a fortnight of past activity for the demo accounts (reviews every day for streaks of
/// different lengths, and battles between them on a demo topic), through the outbox like real
/// events, so the demo's boards, streaks and achievements are alive. Idempotent: does nothing
/// once written. Returns how many events it wrote.
pub async fn seed_demo_activity(platform: &Platform, players: &[uuid::Uuid]) -> AppResult<usize> {
    use agora_entities::{knowledge::topic, platform::outbox_event};
    use agora_events::{BattleFinished, FinishedPlayer, FlashcardReviewed};
    use agora_platform::{
        db::begin_write,
        outbox::{self, NewEvent},
    };
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

    const MARK: &str = "demo-activity";
    let already = outbox_event::Entity::find()
        .filter(outbox_event::Column::AggregateId.eq(MARK))
        .count(&platform.db)
        .await?;
    if already > 0 || players.len() < 2 {
        return Ok(0);
    }
    let topic = topic::Entity::find()
        .order_by_asc(topic::Column::CreatedAt)
        .one(&platform.db)
        .await?
        .map(|t| t.id);
    let now = platform.clock.now();
    let days = 14i64;
    let txn = begin_write(&platform.db).await?;
    let mut written = 0;
    for day in 0..days {
        let at = now - chrono::Duration::days(days - 1 - day) - chrono::Duration::hours(2);
        for (i, player) in players.iter().enumerate() {
            // Player i has been active for the last 4 + 3·i days (capped at the fortnight).
            if day < days - (4 + 3 * i as i64) {
                continue;
            }
            for _ in 0..=(i % 3) {
                let reviewed = FlashcardReviewed {
                    user_id: *player,
                    topic_id: None,
                    flashcard_id: None,
                    quality: None,
                };
                outbox::enqueue(&txn, at, NewEvent::of(MARK, &reviewed)?).await?;
                written += 1;
            }
        }
        if day % 2 == 0 {
            let mut ranked: Vec<(usize, &uuid::Uuid)> = players.iter().enumerate().collect();
            ranked.rotate_left(day as usize % players.len());
            let players: Vec<FinishedPlayer> = ranked
                .iter()
                .enumerate()
                .map(|(rank, (i, p))| FinishedPlayer {
                    user_id: **p,
                    rank: rank as i32 + 1,
                    score: 4_000 - 700 * rank as i32 + 37 * *i as i32,
                    correct_count: 5 - rank.min(4) as i32,
                })
                .collect();
            let finished = BattleFinished {
                room_id: uuid::Uuid::now_v7(),
                topic_id: topic,
                question_count: 5,
                players,
            };
            outbox::enqueue(&txn, at, NewEvent::of(MARK, &finished)?).await?;
            written += 1;
        }
    }
    txn.commit().await?;
    platform.wake_outbox();
    Ok(written)
}

/// The ranking store, for the benchmark and the tests that compare the Redis and SQL reads.
pub mod leaderboard {
    pub use crate::service::leaderboard::{Scope, encode, read, read_sql};
}

pub use crate::types::MyProgress;

/// `user`'s progress as `myProgress` shows it (points, level, streak, achievements, recent
/// awards), in a fixed number of statements.
pub async fn my_progress(platform: &Platform, user: uuid::Uuid) -> AppResult<MyProgress> {
    let now = platform.clock.now();
    Ok(MyProgress {
        progress: service::progress::load(&platform.db, user, now).await?,
        standings: service::achievements::standings(&platform.db, user).await?,
        recent: service::progress::recent_awards(&platform.db, user, 20).await?,
    })
}

/// The time zone `user`'s days are counted in (UTC before their first award); one statement.
pub async fn zone_name_of<C: sea_orm::ConnectionTrait>(
    db: &C,
    user: uuid::Uuid,
) -> AppResult<String> {
    use agora_entities::gamification::user_progress;
    use sea_orm::EntityTrait;
    Ok(user_progress::Entity::find_by_id(user)
        .one(db)
        .await?
        .map_or_else(|| "UTC".to_owned(), |row| row.time_zone))
}

/// One day of the points ledger's daily view (`daily_activity`): the day in the user's zone,
/// points earned and rewarded actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityDay {
    /// `YYYY-MM-DD` in the user's zone.
    pub local_date: String,
    /// Points earned.
    pub points: i32,
    /// Rewarded actions.
    pub actions: i32,
}

/// `user`'s days with activity from `from` (`YYYY-MM-DD`, their zone) on, oldest first; one
/// statement.
pub async fn daily_activity<C: sea_orm::ConnectionTrait>(
    db: &C,
    user: uuid::Uuid,
    from: &str,
) -> AppResult<Vec<ActivityDay>> {
    use agora_entities::gamification::daily_activity;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    Ok(daily_activity::Entity::find()
        .filter(daily_activity::Column::UserId.eq(user))
        .filter(daily_activity::Column::LocalDate.gte(from))
        .order_by_asc(daily_activity::Column::LocalDate)
        .all(db)
        .await?
        .into_iter()
        .map(|row| ActivityDay {
            local_date: row.local_date,
            points: row.points,
            actions: row.actions,
        })
        .collect())
}
