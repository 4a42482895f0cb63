//! Identity's business rules as plain async functions over the [`Platform`].
//!
//! [`Platform`]: agora_platform::Platform

pub(crate) mod accounts;
pub(crate) mod api_keys;
pub(crate) mod key_usage;
pub(crate) mod one_time;
pub(crate) mod policy;
pub(crate) mod sessions;

use agora_entities::identity::user;
use agora_platform::{AppError, AppResult, auth::Role};
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

/// The stored role of `user`, or `INTERNAL` if the row holds an unknown one.
pub(crate) fn role_of(user: &user::Model) -> AppResult<Role> {
    Role::parse(&user.role).ok_or_else(|| {
        AppError::internal(format!("user {} has unknown role {:?}", user.id, user.role))
    })
}

/// Loads a user or fails with `NOT_FOUND`.
pub(crate) async fn find_user<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<user::Model> {
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("no such user".into()))
}
