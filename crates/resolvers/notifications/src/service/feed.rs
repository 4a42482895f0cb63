//! The in-app feed: storing notifications once, reading them newest first, marking them read.
//! Every read and write is scoped to the caller's own rows.

use agora_entities::notifications::notification;
use agora_platform::{
    AppError, AppResult, Platform,
    pagination::{Page, PageRequest, TimeCursor, fetch_time_page},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, TryInsertResult, sea_query::Expr,
};
use uuid::Uuid;

use super::{MAX_IDS_PER_CALL, sources::Draft};

/// Stores `drafts` in their recipients' feeds inside the caller's transaction (multi-row
/// inserts); returns the rows that went in. A draft whose recipient already has the
/// notification of its source is left out (the `(user_id, source_event_id)` key decides, so
/// concurrent deliveries of one event cannot both insert).
pub(crate) async fn insert_many<C: ConnectionTrait>(
    txn: &C,
    now: DateTime<Utc>,
    drafts: &[&Draft],
) -> AppResult<Vec<notification::Model>> {
    let mut stored = Vec::new();
    // Seven parameters a row: far below every backend's limit.
    for chunk in drafts.chunks(500) {
        let rows = chunk.iter().map(|draft| notification::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(draft.user_id),
            kind: Set(draft.kind.into()),
            title: Set(draft.title.clone()),
            body: Set(draft.body.clone()),
            data: Set(draft.data.clone()),
            source_event_id: Set(draft.source_key),
            read_at: Set(None),
            created_at: Set(now),
        });
        let inserted = notification::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([
                notification::Column::UserId,
                notification::Column::SourceEventId,
            ])
            .exec_with_returning_many(txn)
            .await?;
        if let TryInsertResult::Inserted(rows) = inserted {
            stored.extend(rows);
        }
    }
    Ok(stored)
}

/// A page of `user_id`'s feed, newest first; only unread ones with `unread_only`.
pub(crate) async fn page(
    platform: &Platform,
    user_id: Uuid,
    unread_only: bool,
    page: &PageRequest<TimeCursor>,
) -> AppResult<Page<notification::Model>> {
    let mut select = notification::Entity::find().filter(notification::Column::UserId.eq(user_id));
    if unread_only {
        select = select.filter(notification::Column::ReadAt.is_null());
    }
    fetch_time_page(
        &platform.db,
        select,
        (notification::Column::CreatedAt, notification::Column::Id),
        Order::Desc,
        page,
        |n| TimeCursor {
            t: n.created_at,
            id: n.id,
        },
    )
    .await
}

/// How many of `user_id`'s notifications are unread.
pub(crate) async fn unread_count<C: ConnectionTrait>(db: &C, user_id: Uuid) -> AppResult<u64> {
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// `at` to the microsecond, as the database keeps it, so the time an answer names equals the
/// one read back later.
fn stored_precision(at: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(at.timestamp_micros()).unwrap_or(at)
}

/// What a mark-read changed.
pub(crate) struct Marked {
    /// The notifications marked read now, newest first (empty for a mark-all).
    pub(crate) changed: Vec<notification::Model>,
    /// How many were marked.
    pub(crate) count: u64,
    /// The user's unread notifications after it.
    pub(crate) unread: u64,
    /// The read time written.
    pub(crate) at: DateTime<Utc>,
}

/// Marks those of `ids` that are `user_id`'s own and unread as read; returns those it changed.
/// Ids of other users' notifications (or of none) change nothing and are not returned: one
/// statement scoped to the owner, so no one can mark or probe another user's feed.
/// `BAD_USER_INPUT` on `ids` past [`MAX_IDS_PER_CALL`].
pub(crate) async fn mark_read(
    platform: &Platform,
    user_id: Uuid,
    ids: &[Uuid],
) -> AppResult<Marked> {
    check_batch(ids.len())?;
    let at = stored_precision(platform.clock.now());
    let mut changed = if ids.is_empty() {
        Vec::new()
    } else {
        notification::Entity::update_many()
            .col_expr(notification::Column::ReadAt, Expr::value(at))
            .filter(notification::Column::UserId.eq(user_id))
            .filter(notification::Column::Id.is_in(ids.iter().copied()))
            .filter(notification::Column::ReadAt.is_null())
            .exec_with_returning(&platform.db)
            .await?
    };
    changed.sort_by_key(|n| std::cmp::Reverse((n.created_at, n.id)));
    Ok(Marked {
        count: changed.len() as u64,
        changed,
        unread: unread_count(&platform.db, user_id).await?,
        at,
    })
}

/// `BAD_USER_INPUT` on `ids` when `len` ids are more than one call takes.
pub(crate) fn check_batch(len: usize) -> AppResult<()> {
    if len > MAX_IDS_PER_CALL {
        return Err(AppError::bad_input(
            "ids",
            format!("at most {MAX_IDS_PER_CALL} ids at once; use markAllNotificationsRead"),
        ));
    }
    Ok(())
}

/// Marks every unread notification of `user_id` read (a feed may hold thousands: they are
/// counted, not returned).
pub(crate) async fn mark_all_read(platform: &Platform, user_id: Uuid) -> AppResult<Marked> {
    let at = stored_precision(platform.clock.now());
    let result = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(at))
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .exec(&platform.db)
        .await?;
    Ok(Marked {
        changed: Vec::new(),
        count: result.rows_affected,
        unread: unread_count(&platform.db, user_id).await?,
        at,
    })
}

/// One notification, if it is `user_id`'s.
pub(crate) async fn find_own<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    id: Uuid,
) -> AppResult<Option<notification::Model>> {
    Ok(notification::Entity::find_by_id(id)
        .filter(notification::Column::UserId.eq(user_id))
        .one(db)
        .await?)
}

/// `user_id`'s newest notifications created at or after `since`, oldest first, at most
/// `limit` (a live subscriber catching up after a gap).
pub(crate) async fn created_since<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    since: DateTime<Utc>,
    limit: u64,
) -> AppResult<Vec<notification::Model>> {
    let mut rows = notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::CreatedAt.gte(since))
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    rows.reverse();
    Ok(rows)
}
