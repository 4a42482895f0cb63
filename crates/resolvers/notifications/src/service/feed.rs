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
    QueryFilter, QueryOrder, QuerySelect, sea_query::OnConflict,
};
use uuid::Uuid;

use super::{MAX_IDS_PER_CALL, sources::Draft};

/// Stores `draft` in its recipient's feed inside the caller's transaction. None when the
/// recipient already has the notification of this source (the `(user_id, source_event_id)`
/// key decides, so concurrent deliveries of one event cannot both insert).
pub async fn insert<C: ConnectionTrait>(
    txn: &C,
    now: DateTime<Utc>,
    draft: &Draft,
) -> AppResult<Option<notification::Model>> {
    let model = notification::Model {
        id: Uuid::now_v7(),
        user_id: draft.user_id,
        kind: draft.kind.as_str().to_owned(),
        title: draft.title.clone(),
        body: draft.body.clone(),
        data: draft.data.clone(),
        source_event_id: draft.source_key,
        read_at: None,
        created_at: now,
    };
    let active = notification::ActiveModel {
        id: Set(model.id),
        user_id: Set(model.user_id),
        kind: Set(model.kind.clone()),
        title: Set(model.title.clone()),
        body: Set(model.body.clone()),
        data: Set(model.data.clone()),
        source_event_id: Set(model.source_event_id),
        read_at: Set(None),
        created_at: Set(now),
    };
    let inserted = notification::Entity::insert(active)
        .on_conflict(
            OnConflict::columns([
                notification::Column::UserId,
                notification::Column::SourceEventId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok((inserted > 0).then_some(model))
}

/// A page of `user_id`'s feed, newest first; only unread ones with `unread_only`.
pub async fn page(
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
pub async fn unread_count<C: ConnectionTrait>(db: &C, user_id: Uuid) -> AppResult<u64> {
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// Marks those of `ids` that are `user_id`'s own and unread as read; returns how many changed.
/// Ids of other users' notifications (or of none) change nothing and are not counted: one
/// statement scoped to the owner, so no one can mark or probe another user's feed.
/// `BAD_USER_INPUT` on `ids` past [`MAX_IDS_PER_CALL`].
pub async fn mark_read(platform: &Platform, user_id: Uuid, ids: &[Uuid]) -> AppResult<u64> {
    check_batch(ids.len())?;
    if ids.is_empty() {
        return Ok(0);
    }
    let result = notification::Entity::update_many()
        .col_expr(
            notification::Column::ReadAt,
            sea_orm::sea_query::Expr::value(platform.clock.now()),
        )
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::Id.is_in(ids.iter().copied()))
        .filter(notification::Column::ReadAt.is_null())
        .exec(&platform.db)
        .await?;
    Ok(result.rows_affected)
}

/// `BAD_USER_INPUT` on `ids` when `len` ids are more than one call takes.
pub fn check_batch(len: usize) -> AppResult<()> {
    if len > MAX_IDS_PER_CALL {
        return Err(AppError::bad_input(
            "ids",
            format!("at most {MAX_IDS_PER_CALL} ids at once; use markAllNotificationsRead"),
        ));
    }
    Ok(())
}

/// Marks every unread notification of `user_id` read; returns how many changed.
pub async fn mark_all_read(platform: &Platform, user_id: Uuid) -> AppResult<u64> {
    let result = notification::Entity::update_many()
        .col_expr(
            notification::Column::ReadAt,
            sea_orm::sea_query::Expr::value(platform.clock.now()),
        )
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .exec(&platform.db)
        .await?;
    Ok(result.rows_affected)
}

/// One notification, if it is `user_id`'s.
pub async fn find_own<C: ConnectionTrait>(
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
pub async fn created_since<C: ConnectionTrait>(
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
