//! `agora leaderboards rebuild`: every total recomputed from the points ledger, then every
//! Redis board replaced.

use std::collections::{HashMap, HashSet};

use agora_entities::gamification::{leaderboard_score, point_award};
use agora_platform::{AppResult, Platform, db::begin_write};
use chrono::{DateTime, Datelike, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::{Scope, fill::fill, iso_week, month, redis_store::drop_boards};
use crate::service::award_rows;

/// What `rebuild` did.
#[derive(Debug, Clone, Default)]
pub struct Rebuilt {
    /// Boards recomputed.
    pub boards: usize,
    /// Totals written.
    pub rows: usize,
}

#[derive(Debug, FromQueryResult)]
struct Sum {
    user_id: Uuid,
    topic_id: Option<Uuid>,
    points: i64,
    reached: DateTime<Utc>,
}

/// Recomputes every total (all-time, this week, this month, every topic) from the points
/// ledger, the source of truth, by aggregate queries; then replaces every Redis board. For
/// operators (`agora leaderboards rebuild`), after a Redis loss, and once after upgrading to
/// the MONTHLY board (migration 000023 leaves this month's totals to it). Past weeks and
/// months are history and are not recomputed.
///
/// It runs while awards are applied: it locks every progress row first, in user order (as the
/// award handler does), and aggregates under those locks, so an award batch either committed
/// before (and is in the sums) or waits and applies its awards on top of the rebuilt totals.
pub(crate) async fn rebuild(platform: &Platform) -> AppResult<Rebuilt> {
    use point_award::Column as A;
    let now = platform.clock.now();
    let week = iso_week(now);
    let week_start = {
        let date = now.date_naive()
            - chrono::Duration::days(i64::from(now.weekday().num_days_from_monday()));
        date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
    };
    let month = month(now);
    let month_start = now
        .date_naive()
        .with_day(1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default()
        .and_utc();
    let txn = begin_write(&platform.db).await?;
    let mut progress = award_rows::lock_every_progress(&txn).await?;
    let aggregate = || {
        point_award::Entity::find()
            .select_only()
            .column(A::UserId)
            .column_as(A::Points.sum(), "points")
            .column_as(A::OccurredAt.max(), "reached")
            .filter(A::Points.gt(0))
            .group_by(A::UserId)
    };
    let no_topic = || sea_orm::sea_query::Expr::val(Option::<Uuid>::None);
    let by_user = |sums: Vec<Sum>| -> HashMap<Uuid, (i64, i64)> {
        sums.into_iter()
            .map(|s| (s.user_id, (s.points, s.reached.timestamp())))
            .collect()
    };
    let global = by_user(
        aggregate()
            .column_as(no_topic(), "topic_id")
            .into_model::<Sum>()
            .all(&txn)
            .await?,
    );
    let weekly = by_user(
        aggregate()
            .column_as(no_topic(), "topic_id")
            .filter(A::OccurredAt.gte(week_start))
            .into_model::<Sum>()
            .all(&txn)
            .await?,
    );
    let monthly = by_user(
        aggregate()
            .column_as(no_topic(), "topic_id")
            .filter(A::OccurredAt.gte(month_start))
            .into_model::<Sum>()
            .all(&txn)
            .await?,
    );
    let topics = aggregate()
        .column(A::TopicId)
        .filter(A::TopicId.is_not_null())
        .group_by(A::TopicId)
        .into_model::<Sum>()
        .all(&txn)
        .await?;

    for row in &mut progress {
        (row.points, row.points_reached_at) = global.get(&row.user_id).copied().unwrap_or((0, 0));
        if let Some((points, reached)) = weekly.get(&row.user_id) {
            row.week = Some(week.clone());
            (row.week_points, row.week_reached_at) = (*points, *reached);
        } else if row.week.as_deref() == Some(week.as_str()) {
            (row.week_points, row.week_reached_at) = (0, 0);
        }
        if let Some((points, reached)) = monthly.get(&row.user_id) {
            row.month = Some(month.clone());
            (row.month_points, row.month_reached_at) = (*points, *reached);
        } else if row.month.as_deref() == Some(month.as_str()) {
            (row.month_points, row.month_reached_at) = (0, 0);
        }
    }
    award_rows::save_progress(&txn, &progress).await?;
    leaderboard_score::Entity::delete_many()
        .filter(leaderboard_score::Column::Board.starts_with("topic:"))
        .exec(&txn)
        .await?;
    let rows: Vec<leaderboard_score::ActiveModel> = topics
        .iter()
        .map(|total| leaderboard_score::ActiveModel {
            board: Set(Scope::Topic(total.topic_id.unwrap_or_default()).board(now)),
            user_id: Set(total.user_id),
            points: Set(total.points),
            reached_at: Set(total.reached.timestamp()),
        })
        .collect();
    for chunk in rows.chunks(1_000) {
        leaderboard_score::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    // Drop every Redis board before the commit, while the locks hold every award back: a batch
    // that pushed its totals before this committed before the locks were taken, so the sums
    // (and the fill) hold it; one after it pushes to the emptied board, and `ZADD GT` keeps the
    // larger of its push and the fill.
    if let Some(redis) = &platform.redis {
        drop_boards(platform, redis.clone()).await?;
    }
    txn.commit().await?;

    let mut boards: Vec<String> = Vec::new();
    for (board, totals) in [
        (Scope::Global.board(now), global.len()),
        (Scope::Weekly.board(now), weekly.len()),
        (Scope::Monthly.board(now), monthly.len()),
    ] {
        if totals > 0 {
            boards.push(board);
        }
    }
    let topic_boards: HashSet<Uuid> = topics.iter().filter_map(|t| t.topic_id).collect();
    boards.extend(topic_boards.into_iter().map(|t| Scope::Topic(t).board(now)));
    if let Some(redis) = &platform.redis {
        let conn = redis.clone();
        for board in &boards {
            fill(platform, conn.clone(), board).await?;
        }
    }
    Ok(Rebuilt {
        boards: boards.len(),
        rows: global.len() + weekly.len() + monthly.len() + rows.len(),
    })
}
