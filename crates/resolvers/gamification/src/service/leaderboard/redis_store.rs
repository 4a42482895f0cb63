//! The boards on Redis sorted sets (`{prefix}:lb:{board}`, production mode): a page in one
//! round trip, and the award handler's `ZADD GT` pushes of absolute totals.

use agora_platform::{AppError, AppResult, Platform};
use redis::aio::ConnectionManager;
use uuid::Uuid;

use super::{Entry, Page, Total};

/// How long a weekly board lives in Redis after it was last written.
const WEEKLY_TTL_SECS: i64 = 15 * 24 * 3600;
/// How long a monthly board lives in Redis after it was last written.
const MONTHLY_TTL_SECS: i64 = 62 * 24 * 3600;
/// 2024-01-01T00:00:00Z.
const EPOCH: i64 = 1_704_067_200;
const SHIFT: f64 = 2_147_483_648.0;
/// Totals per ZADD when the award handler pushes a batch.
const PUSH_CHUNK: usize = 1_000;

/// The sorted-set score of a total.
pub fn encode(points: i64, reached_at: i64) -> f64 {
    let since = (reached_at - EPOCH).clamp(0, SHIFT as i64 - 1);
    points as f64 * SHIFT + (SHIFT - 1.0 - since as f64)
}

/// The points of a sorted-set score.
pub(super) fn decode(score: f64) -> i64 {
    (score / SHIFT).floor() as i64
}

pub(super) fn redis_key(platform: &Platform, board: &str) -> String {
    format!("{}:lb:{board}", platform.config.redis.redis_prefix)
}

pub(super) fn redis_err(err: redis::RedisError) -> AppError {
    AppError::internal(format!("redis: {err}"))
}

/// One round trip; `None` when the board is not built in Redis.
pub(super) async fn read_redis(
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

/// Writes changed totals to Redis (production mode; nothing in embedded mode).
pub(crate) async fn push(platform: &Platform, rows: &[Total]) -> AppResult<()> {
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
        expire_if_periodic(&mut pipe, board, &key);
    }
    let mut conn = redis.clone();
    pipe.query_async::<()>(&mut conn).await.map_err(redis_err)
}

/// A weekly or monthly board (and its built mark) expires once its period is well over.
pub(super) fn expire_if_periodic(pipe: &mut redis::Pipeline, board: &str, key: &str) {
    let ttl = if board.starts_with("weekly:") {
        WEEKLY_TTL_SECS
    } else if board.starts_with("monthly:") {
        MONTHLY_TTL_SECS
    } else {
        return;
    };
    pipe.cmd("EXPIRE").arg(key).arg(ttl).ignore();
    pipe.cmd("EXPIRE")
        .arg(format!("{key}:built"))
        .arg(ttl)
        .ignore();
}

/// Deletes every board of this prefix from Redis (SCAN, not KEYS: Redis keeps serving).
pub(super) async fn drop_boards(platform: &Platform, mut conn: ConnectionManager) -> AppResult<()> {
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
