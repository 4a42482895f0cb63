//! Leaderboards. Every board is a set of `(user, points, reached_at)` totals, updated in the
//! same transaction as the ledger: the all-time, this-week and this-month totals are columns of each
//! user's `user_progress` row (the row the award handler locks and rewrites anyway), the TOPIC
//! totals rows of `leaderboard_scores`. Order: more points first; equal points, who reached
//! them first; then user id, descending (what Redis does for equal scores, so both stores give
//! one order).
//!
//! - Embedded mode reads the totals through their rank indexes (`(points DESC,
//!   points_reached_at, user_id DESC)`, `(week, week_points DESC, ...)`, `(month, month_points
//!   DESC, ...)` and `(board, points DESC, ...)`): a page is an index walk, a rank an index
//!   range count.
//! - Production mode reads Redis sorted sets (`{prefix}:lb:{board}`): ZREVRANGE for a page,
//!   ZREVRANK for a rank, ZCARD for the count, one round trip. The award handler writes each
//!   changed total with `ZADD GT` of the absolute total (not ZINCRBY), so a retried or
//!   reordered write can never count points twice or move a total backwards. A board whose
//!   `:built` marker is missing (new week or month, Redis flushed) is filled from the stored totals on
//!   first read; `agora leaderboards rebuild` recomputes the totals from the ledger and
//!   replaces every Redis board.
//!
//! The sorted-set score packs the tie-break into one double: `points · 2³¹ + (2³¹ − 1 − s)` with
//! `s` the seconds since 2024-01-01 the total was reached. Doubles are exact to 2⁵³, so the
//! order is exact up to 4,194,304 points per board (far above any player); past that, points
//! still order correctly and only the tie-break loses precision.
//!
//! Files: `sql_store` (a page and a rank from the stored totals), `redis_store` (the sorted
//! sets: a page in one round trip, the award handler's pushes), `fill` (a missing Redis board
//! built from the stored totals), `rebuild` (every total recomputed from the ledger).

mod fill;
mod rebuild;
mod redis_store;
mod sql_store;

use agora_platform::{AppResult, Platform};
use chrono::{DateTime, Datelike, Utc};
use sea_orm::FromQueryResult;
use uuid::Uuid;

pub use rebuild::Rebuilt;
pub(crate) use rebuild::rebuild;
pub use redis_store::encode;
pub(crate) use redis_store::push;
pub use sql_store::read_sql;

/// How often, and how many times, a reader polls a board another replica is filling.
const FILL_WAIT_POLL: std::time::Duration = std::time::Duration::from_millis(50);
const FILL_WAIT_POLLS: u32 = 40;

/// Which board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// All time.
    Global,
    /// This ISO week (Monday 00:00 UTC to Monday).
    Weekly,
    /// This calendar month (UTC).
    Monthly,
    /// Points from battles of one topic.
    Topic(Uuid),
}

impl Scope {
    /// The stored board key at `now`.
    pub fn board(self, now: DateTime<Utc>) -> String {
        match self {
            Self::Global => GLOBAL_BOARD.into(),
            Self::Weekly => weekly_board(&iso_week(now)),
            Self::Monthly => monthly_board(&month(now)),
            Self::Topic(id) => format!("topic:{id}"),
        }
    }

    /// The bus channel announcing changes (`leaderboard:{scope}`).
    pub fn channel(self) -> String {
        match self {
            Self::Global => "leaderboard:global".into(),
            Self::Weekly => "leaderboard:weekly".into(),
            Self::Monthly => "leaderboard:monthly".into(),
            Self::Topic(id) => format!("leaderboard:topic:{id}"),
        }
    }

    /// The scope of a stored board key.
    pub fn of_board(board: &str) -> Option<Self> {
        if board == GLOBAL_BOARD {
            Some(Self::Global)
        } else if board.starts_with("weekly:") {
            Some(Self::Weekly)
        } else if board.starts_with("monthly:") {
            Some(Self::Monthly)
        } else {
            board.strip_prefix("topic:")?.parse().ok().map(Self::Topic)
        }
    }
}

/// The GLOBAL board's key.
pub(crate) const GLOBAL_BOARD: &str = "global";

/// The WEEKLY board key of `week` (`2026-W48`).
pub(crate) fn weekly_board(week: &str) -> String {
    format!("weekly:{week}")
}

/// The MONTHLY board key of `month` (`2026-12`).
pub(crate) fn monthly_board(month: &str) -> String {
    format!("monthly:{month}")
}

/// `2026-12`: the calendar month of `at` (UTC).
pub(crate) fn month(at: DateTime<Utc>) -> String {
    at.format("%Y-%m").to_string()
}

/// `2026-W48`: the ISO week of `at` (UTC).
pub(crate) fn iso_week(at: DateTime<Utc>) -> String {
    let week = at.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// One user's total on one board.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub(crate) struct Total {
    /// The board key (`global`, `weekly:2026-W48`, `monthly:2026-12`, `topic:<uuid>`).
    pub board: String,
    /// Who.
    pub user_id: Uuid,
    /// Points on this board.
    pub points: i64,
    /// Unix seconds when they were reached (ties: earlier first).
    pub reached_at: i64,
}

/// One line of a board.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// 1 for the top.
    pub rank: i64,
    /// Who.
    pub user_id: Uuid,
    /// Points on this board.
    pub points: i64,
}

/// A page of a board.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Page {
    /// Entries from `offset + 1` on.
    pub entries: Vec<Entry>,
    /// Users on the board.
    pub total: i64,
    /// The viewer's entry, if asked and on the board.
    pub mine: Option<Entry>,
}

/// Reads `limit` entries after `offset` of `board`, and `viewer`'s entry.
pub async fn read(
    platform: &Platform,
    board: &str,
    offset: i64,
    limit: i64,
    viewer: Option<Uuid>,
) -> AppResult<Page> {
    if let Some(redis) = &platform.redis {
        let key = redis_store::redis_key(platform, board);
        if let Some(page) =
            redis_store::read_redis(redis.clone(), &key, offset, limit, viewer).await?
        {
            return Ok(page);
        }
        if fill::fill(platform, redis.clone(), board).await?
            && let Some(page) =
                redis_store::read_redis(redis.clone(), &key, offset, limit, viewer).await?
        {
            return Ok(page);
        }
        // Another replica is filling it: wait a moment for that fill, since on PostgreSQL the
        // table has no rank index and sorting a large board there is the slow way; then
        // answer from the table (still right, only slower).
        for _ in 0..FILL_WAIT_POLLS {
            tokio::time::sleep(FILL_WAIT_POLL).await;
            if let Some(page) =
                redis_store::read_redis(redis.clone(), &key, offset, limit, viewer).await?
            {
                return Ok(page);
            }
        }
    }
    read_sql(&platform.db, board, offset, limit, viewer).await
}
