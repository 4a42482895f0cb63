//! Leaderboards. Every board is a set of `(user, points, reached_at)` totals, updated in the
//! same transaction as the ledger: the all-time and this-week totals are columns of each
//! user's `user_progress` row (the row the award handler locks and rewrites anyway), the TOPIC
//! totals rows of `leaderboard_scores`. Order: more points first; equal points, who reached
//! them first; then user id, descending (what Redis does for equal scores, so both stores give
//! one order).
//!
//! - Embedded mode reads the totals through their rank indexes (`(points DESC,
//!   points_reached_at, user_id DESC)`, `(week, week_points DESC, ...)` and `(board, points
//!   DESC, ...)`): a page is an index walk, a rank an index range count.
//! - Production mode reads Redis sorted sets (`{prefix}:lb:{board}`): ZREVRANGE for a page,
//!   ZREVRANK for a rank, ZCARD for the count, one round trip. The award handler writes each
//!   changed total with `ZADD GT` of the absolute total (not ZINCRBY), so a retried or
//!   reordered write can never count points twice or move a total backwards. A board whose
//!   `:built` marker is missing (new week, Redis flushed) is filled from the stored totals on
//!   first read; `agora leaderboards rebuild` recomputes the totals from the ledger and
//!   replaces every Redis board.
//!
//! The sorted-set score packs the tie-break into one double: `points · 2³¹ + (2³¹ − 1 − s)` with
//! `s` the seconds since 2024-01-01 the total was reached. Doubles are exact to 2⁵³, so the
//! order is exact up to 4,194,304 points per board (far above any player); past that, points
//! still order correctly and only the tie-break loses precision.

use std::collections::{HashMap, HashSet};

use agora_entities::gamification::{leaderboard_score, point_award, user_progress};
use agora_platform::{AppError, AppResult, Platform, db::begin_write};
use chrono::{DateTime, Datelike, Utc};
use redis::aio::ConnectionManager;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, Order, QueryFilter,
    QuerySelect,
    sea_query::{DynIden, Expr, ExprTrait as _, IntoIden, Query, SelectStatement},
};
use uuid::Uuid;

use super::award_rows;

/// How long a weekly board lives in Redis after it was last written.
const WEEKLY_TTL_SECS: i64 = 15 * 24 * 3600;
/// 2024-01-01T00:00:00Z.
const EPOCH: i64 = 1_704_067_200;
const SHIFT: f64 = 2_147_483_648.0;
/// Rows per ZADD when filling a board.
const FILL_CHUNK: u64 = 5_000;
/// Totals per ZADD when the award handler pushes a batch.
const PUSH_CHUNK: usize = 1_000;
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
    /// Points from battles of one topic.
    Topic(Uuid),
}

impl Scope {
    /// The stored board key at `now`.
    pub fn board(self, now: DateTime<Utc>) -> String {
        match self {
            Self::Global => GLOBAL_BOARD.into(),
            Self::Weekly => weekly_board(&iso_week(now)),
            Self::Topic(id) => format!("topic:{id}"),
        }
    }

    /// The bus channel announcing changes (`leaderboard:{scope}`).
    pub fn channel(self) -> String {
        match self {
            Self::Global => "leaderboard:global".into(),
            Self::Weekly => "leaderboard:weekly".into(),
            Self::Topic(id) => format!("leaderboard:topic:{id}"),
        }
    }

    /// The scope of a stored board key.
    pub fn of_board(board: &str) -> Option<Self> {
        if board == GLOBAL_BOARD {
            Some(Self::Global)
        } else if board.starts_with("weekly:") {
            Some(Self::Weekly)
        } else {
            board.strip_prefix("topic:")?.parse().ok().map(Self::Topic)
        }
    }
}

/// The GLOBAL board's key.
pub const GLOBAL_BOARD: &str = "global";

/// The WEEKLY board key of `week` (`2026-W48`).
pub fn weekly_board(week: &str) -> String {
    format!("weekly:{week}")
}

/// `2026-W48`: the ISO week of `at` (UTC).
pub fn iso_week(at: DateTime<Utc>) -> String {
    let week = at.iso_week();
    format!("{}-W{:02}", week.year(), week.week())
}

/// One user's total on one board.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Total {
    /// The board key (`global`, `weekly:2026-W48`, `topic:<uuid>`).
    pub board: String,
    /// Who.
    pub user_id: Uuid,
    /// Points on this board.
    pub points: i64,
    /// Unix seconds when they were reached (ties: earlier first).
    pub reached_at: i64,
}

/// Where a board's totals are stored: a table, the columns holding the points and when they
/// were reached, and which rows are on the board.
struct Stored {
    table: DynIden,
    points: DynIden,
    reached: DynIden,
    on_board: Condition,
}

impl Stored {
    fn of(board: &str) -> Self {
        use user_progress::Column as P;
        if let Some(week) = board.strip_prefix("weekly:") {
            return Self {
                table: user_progress::Entity.into_iden(),
                points: P::WeekPoints.into_iden(),
                reached: P::WeekReachedAt.into_iden(),
                on_board: Condition::all()
                    .add(P::Week.eq(week))
                    .add(P::WeekPoints.gt(0)),
            };
        }
        if board == GLOBAL_BOARD {
            return Self {
                table: user_progress::Entity.into_iden(),
                points: P::Points.into_iden(),
                reached: P::PointsReachedAt.into_iden(),
                on_board: Condition::all().add(P::Points.gt(0)),
            };
        }
        Self {
            table: leaderboard_score::Entity.into_iden(),
            points: leaderboard_score::Column::Points.into_iden(),
            reached: leaderboard_score::Column::ReachedAt.into_iden(),
            on_board: Condition::all().add(leaderboard_score::Column::Board.eq(board)),
        }
    }

    fn points(&self) -> Expr {
        Expr::col((self.table.clone(), self.points.clone()))
    }

    fn reached(&self) -> Expr {
        Expr::col((self.table.clone(), self.reached.clone()))
    }

    /// The user column: `user_id` in both tables.
    fn user(&self) -> Expr {
        Expr::col((
            self.table.clone(),
            user_progress::Column::UserId.into_iden(),
        ))
    }

    /// `SELECT board, user_id, points, reached_at` of the board's rows matching `filter`.
    fn totals(&self, board: &str, filter: Condition) -> SelectStatement {
        Query::select()
            .expr_as(Expr::val(board), "board")
            .expr_as(self.user(), "user_id")
            .expr_as(self.points(), "points")
            .expr_as(self.reached(), "reached_at")
            .from(self.table.clone())
            .cond_where(self.on_board.clone().add(filter))
            .to_owned()
    }

    /// The board's order.
    fn ranked(&self, board: &str, filter: Condition) -> SelectStatement {
        self.totals(board, filter)
            .order_by_expr(self.points(), Order::Desc)
            .order_by_expr(self.reached(), Order::Asc)
            .order_by_expr(self.user(), Order::Desc)
            .to_owned()
    }

    /// Rows ranked above `total`.
    fn ahead_of(&self, total: &Total) -> Condition {
        Condition::any()
            .add(self.points().gt(total.points))
            .add(
                Condition::all()
                    .add(self.points().eq(total.points))
                    .add(self.reached().lt(total.reached_at)),
            )
            .add(
                Condition::all()
                    .add(self.points().eq(total.points))
                    .add(self.reached().eq(total.reached_at))
                    .add(self.user().gt(total.user_id)),
            )
    }
}

async fn select<C: ConnectionTrait>(db: &C, statement: &SelectStatement) -> AppResult<Vec<Total>> {
    Ok(
        Total::find_by_statement(db.get_database_backend().build(statement))
            .all(db)
            .await?,
    )
}

async fn count<C: ConnectionTrait>(db: &C, stored: &Stored, filter: Condition) -> AppResult<i64> {
    #[derive(FromQueryResult)]
    struct Count {
        n: i64,
    }
    let statement = Query::select()
        .expr_as(Expr::col(sea_orm::sea_query::Asterisk).count(), "n")
        .from(stored.table.clone())
        .cond_where(stored.on_board.clone().add(filter))
        .to_owned();
    Ok(
        Count::find_by_statement(db.get_database_backend().build(&statement))
            .one(db)
            .await?
            .map_or(0, |c| c.n),
    )
}

/// The sorted-set score of a total.
pub fn encode(points: i64, reached_at: i64) -> f64 {
    let since = (reached_at - EPOCH).clamp(0, SHIFT as i64 - 1);
    points as f64 * SHIFT + (SHIFT - 1.0 - since as f64)
}

/// The points of a sorted-set score.
pub fn decode(score: f64) -> i64 {
    (score / SHIFT).floor() as i64
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

fn redis_key(platform: &Platform, board: &str) -> String {
    format!("{}:lb:{board}", platform.config.redis.redis_prefix)
}

fn redis_err(err: redis::RedisError) -> AppError {
    AppError::internal(format!("redis: {err}"))
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
        let key = redis_key(platform, board);
        if let Some(page) = read_redis(redis.clone(), &key, offset, limit, viewer).await? {
            return Ok(page);
        }
        if fill(platform, redis.clone(), board).await?
            && let Some(page) = read_redis(redis.clone(), &key, offset, limit, viewer).await?
        {
            return Ok(page);
        }
        // Another replica is filling it: wait a moment for that fill, since on PostgreSQL the
        // table has no rank index and sorting a large board there is the slow way; then
        // answer from the table (still right, only slower).
        for _ in 0..FILL_WAIT_POLLS {
            tokio::time::sleep(FILL_WAIT_POLL).await;
            if let Some(page) = read_redis(redis.clone(), &key, offset, limit, viewer).await? {
                return Ok(page);
            }
        }
    }
    read_sql(&platform.db, board, offset, limit, viewer).await
}

/// One round trip; `None` when the board is not built in Redis.
async fn read_redis(
    mut redis: ConnectionManager,
    key: &str,
    offset: i64,
    limit: i64,
    viewer: Option<Uuid>,
) -> AppResult<Option<Page>> {
    let mut pipe = redis::pipe();
    pipe.cmd("EXISTS")
        .arg(format!("{key}:built"))
        .cmd("ZREVRANGE")
        .arg(key)
        .arg(offset)
        .arg(offset + limit - 1)
        .arg("WITHSCORES")
        .cmd("ZCARD")
        .arg(key);
    let me = viewer.map(|v| v.to_string());
    if let Some(me) = &me {
        pipe.cmd("ZREVRANK").arg(key).arg(me);
        pipe.cmd("ZSCORE").arg(key).arg(me);
    }
    type Top = (bool, Vec<(String, f64)>, i64);
    let ((built, rows, total), rank, score): (Top, Option<i64>, Option<f64>) = if me.is_some() {
        type WithMine = (bool, Vec<(String, f64)>, i64, Option<i64>, Option<f64>);
        let (built, rows, total, rank, score): WithMine =
            pipe.query_async(&mut redis).await.map_err(redis_err)?;
        ((built, rows, total), rank, score)
    } else {
        let top: Top = pipe.query_async(&mut redis).await.map_err(redis_err)?;
        (top, None, None)
    };
    if !built {
        return Ok(None);
    }
    let entries = rows
        .into_iter()
        .enumerate()
        .filter_map(|(i, (member, score))| {
            Some(Entry {
                rank: offset + i as i64 + 1,
                user_id: member.parse().ok()?,
                points: decode(score),
            })
        })
        .collect();
    let mine = match (viewer, rank, score) {
        (Some(user_id), Some(rank), Some(score)) => Some(Entry {
            rank: rank + 1,
            user_id,
            points: decode(score),
        }),
        _ => None,
    };
    Ok(Some(Page {
        entries,
        total,
        mine,
    }))
}

/// The same page from the stored totals.
pub async fn read_sql<C: ConnectionTrait>(
    db: &C,
    board: &str,
    offset: i64,
    limit: i64,
    viewer: Option<Uuid>,
) -> AppResult<Page> {
    let stored = Stored::of(board);
    let rows = select(
        db,
        stored
            .ranked(board, Condition::all())
            .offset(Ord::max(offset, 0) as u64)
            .limit(Ord::max(limit, 0) as u64),
    )
    .await?;
    let entries = rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| Entry {
            rank: offset + i as i64 + 1,
            user_id: row.user_id,
            points: row.points,
        })
        .collect();
    let total = count(db, &stored, Condition::all()).await?;
    let mine = match viewer {
        Some(user_id) => rank_sql(db, &stored, board, user_id).await?,
        None => None,
    };
    Ok(Page {
        entries,
        total,
        mine,
    })
}

async fn rank_sql<C: ConnectionTrait>(
    db: &C,
    stored: &Stored,
    board: &str,
    user_id: Uuid,
) -> AppResult<Option<Entry>> {
    let Some(row) = select(
        db,
        &stored.totals(board, Condition::all().add(stored.user().eq(user_id))),
    )
    .await?
    .pop() else {
        return Ok(None);
    };
    let ahead = count(db, stored, stored.ahead_of(&row)).await?;
    Ok(Some(Entry {
        rank: ahead + 1,
        user_id,
        points: row.points,
    }))
}

/// Writes changed totals to Redis (production mode; nothing in embedded mode).
pub async fn push(platform: &Platform, rows: &[Total]) -> AppResult<()> {
    let Some(redis) = &platform.redis else {
        return Ok(());
    };
    if rows.is_empty() {
        return Ok(());
    }
    // One ZADD per board (of at most PUSH_CHUNK members): Redis parses one command instead of
    // one per total.
    let mut by_board: std::collections::BTreeMap<&str, Vec<&Total>> =
        std::collections::BTreeMap::new();
    for row in rows {
        by_board.entry(row.board.as_str()).or_default().push(row);
    }
    let mut pipe = redis::pipe();
    for (board, totals) in by_board {
        let key = redis_key(platform, board);
        for chunk in totals.chunks(PUSH_CHUNK) {
            let cmd = pipe.cmd("ZADD").arg(&key).arg("GT");
            for row in chunk {
                cmd.arg(encode(row.points, row.reached_at))
                    .arg(row.user_id.to_string());
            }
            cmd.ignore();
        }
        expire_if_weekly(&mut pipe, board, &key);
    }
    let mut conn = redis.clone();
    pipe.query_async::<()>(&mut conn).await.map_err(redis_err)
}

/// A weekly board (and its built mark) expires once its week is well over.
fn expire_if_weekly(pipe: &mut redis::Pipeline, board: &str, key: &str) {
    if board.starts_with("weekly:") {
        pipe.cmd("EXPIRE").arg(key).arg(WEEKLY_TTL_SECS).ignore();
        pipe.cmd("EXPIRE")
            .arg(format!("{key}:built"))
            .arg(WEEKLY_TTL_SECS)
            .ignore();
    }
}

/// Fills a Redis board from the stored totals (ZADD GT, so totals written meanwhile by the
/// handler stay), then marks it built. False when another replica holds the fill lock.
async fn fill(platform: &Platform, mut redis: ConnectionManager, board: &str) -> AppResult<bool> {
    let key = redis_key(platform, board);
    let lock = format!("{key}:filling");
    let acquired: bool = redis::cmd("SET")
        .arg(&lock)
        .arg(1)
        .arg("NX")
        .arg("EX")
        .arg(60)
        .query_async::<Option<String>>(&mut redis)
        .await
        .map_err(redis_err)?
        .is_some();
    if !acquired {
        return Ok(false);
    }
    let started = std::time::Instant::now();
    let stored = Stored::of(board);
    let mut last: Option<Uuid> = None;
    let mut filled = 0usize;
    loop {
        let after = match last {
            Some(after) => Condition::all().add(stored.user().gt(after)),
            None => Condition::all(),
        };
        let rows = select(
            &platform.db,
            stored
                .totals(board, after)
                .order_by_expr(stored.user(), Order::Asc)
                .limit(FILL_CHUNK),
        )
        .await?;
        let Some(tail) = rows.last() else { break };
        last = Some(tail.user_id);
        filled += rows.len();
        let mut cmd = redis::cmd("ZADD");
        cmd.arg(&key).arg("GT");
        for row in &rows {
            cmd.arg(encode(row.points, row.reached_at))
                .arg(row.user_id.to_string());
        }
        cmd.query_async::<()>(&mut redis).await.map_err(redis_err)?;
        if (rows.len() as u64) < FILL_CHUNK {
            break;
        }
    }
    let mut pipe = redis::pipe();
    pipe.cmd("SET").arg(format!("{key}:built")).arg(1).ignore();
    expire_if_weekly(&mut pipe, board, &key);
    pipe.cmd("DEL").arg(&lock).ignore();
    pipe.query_async::<()>(&mut redis)
        .await
        .map_err(redis_err)?;
    tracing::info!(
        board,
        users = filled,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "leaderboard filled in Redis"
    );
    Ok(true)
}

/// Deletes every board of this prefix from Redis (SCAN, not KEYS: Redis keeps serving).
async fn drop_boards(platform: &Platform, mut conn: ConnectionManager) -> AppResult<()> {
    let pattern = format!("{}:lb:*", platform.config.redis.redis_prefix);
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1_000)
            .query_async(&mut conn)
            .await
            .map_err(redis_err)?;
        if !keys.is_empty() {
            redis::cmd("DEL")
                .arg(&keys)
                .query_async::<()>(&mut conn)
                .await
                .map_err(redis_err)?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

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

/// Recomputes every total (all-time, this week, every topic) from the points ledger, the
/// source of truth, by aggregate queries; then replaces every Redis board. For operators
/// (`agora leaderboards rebuild`) and after a Redis loss. Past weeks are history and are not
/// recomputed.
///
/// It runs while awards are applied: it locks every progress row first, in user order (as the
/// award handler does), and aggregates under those locks, so an award batch either committed
/// before (and is in the sums) or waits and applies its awards on top of the rebuilt totals.
pub async fn rebuild(platform: &Platform) -> AppResult<Rebuilt> {
    use point_award::Column as A;
    let now = platform.clock.now();
    let week = iso_week(now);
    let week_start = {
        let date = now.date_naive()
            - chrono::Duration::days(i64::from(now.weekday().num_days_from_monday()));
        date.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
    };
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
        rows: global.len() + weekly.len() + rows.len(),
    })
}
