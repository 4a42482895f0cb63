//! Builds a missing Redis board (new week, Redis flushed, after a rebuild) from the stored
//! totals, one replica at a time.

use agora_platform::{AppResult, Platform};
use redis::aio::ConnectionManager;
use sea_orm::{Condition, Order, sea_query::ExprTrait as _};
use uuid::Uuid;

use super::{
    redis_store::{encode, expire_if_periodic, redis_err, redis_key},
    sql_store::{Stored, select},
};

/// Rows per ZADD when filling a board.
const FILL_CHUNK: u64 = 5_000;

/// Fills a Redis board from the stored totals (ZADD GT, so totals written meanwhile by the
/// handler stay), then marks it built. False when another replica holds the fill lock.
pub(super) async fn fill(
    platform: &Platform,
    mut redis: ConnectionManager,
    board: &str,
) -> AppResult<bool> {
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
    expire_if_periodic(&mut pipe, board, &key);
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
