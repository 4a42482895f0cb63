//! The reputation ledger: every change is a row with its reason, and `users.reputation` is its
//! running total, floored at zero.

use agora_entities::{community::reputation_event, identity::user};
use agora_platform::{
    AppError, AppResult, Platform,
    pagination::{Page, PageRequest, TimeCursor, fetch_time_page},
};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, Order,
    QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::ReputationReason;

/// A user's current reputation (unlocked read).
pub(crate) async fn current<C: ConnectionTrait>(db: &C, user_id: Uuid) -> AppResult<i32> {
    user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(|u| u.reputation)
        .ok_or_else(|| AppError::NotFound("no such user".into()))
}

/// A user's current reputation, the row locked for the transaction on PostgreSQL (SQLite's
/// writer lock already serialises).
pub(crate) async fn current_locked<C: ConnectionTrait>(db: &C, user_id: Uuid) -> AppResult<i32> {
    user::Entity::find_by_id(user_id)
        .lock_exclusive()
        .one(db)
        .await?
        .map(|u| u.reputation)
        .ok_or_else(|| AppError::NotFound("no such user".into()))
}

/// Applies `reason`'s points to `user_id` inside the caller's transaction and records it.
/// Returns the change actually applied (a penalty never takes the total below zero).
pub(crate) async fn award<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    user_id: Uuid,
    reason: ReputationReason,
    submission_id: Option<Uuid>,
) -> AppResult<i32> {
    let current = current_locked(db, user_id).await?;
    let delta = reason.points().max(-current);
    let balance = current + delta;
    user::ActiveModel {
        id: Set(user_id),
        reputation: Set(balance),
        ..Default::default()
    }
    .update(db)
    .await?;
    reputation_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        delta: Set(delta),
        balance: Set(balance),
        reason: Set(reason.into()),
        submission_id: Set(submission_id),
        created_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(delta)
}

/// A user's reputation changes, newest first.
pub(crate) async fn history(
    platform: &Platform,
    user_id: Uuid,
    page: &PageRequest<TimeCursor>,
) -> AppResult<Page<reputation_event::Model>> {
    fetch_time_page(
        &platform.db,
        reputation_event::Entity::find().filter(reputation_event::Column::UserId.eq(user_id)),
        (
            reputation_event::Column::CreatedAt,
            reputation_event::Column::Id,
        ),
        Order::Desc,
        page,
        |e| TimeCursor {
            t: e.created_at,
            id: e.id,
        },
    )
    .await
}
