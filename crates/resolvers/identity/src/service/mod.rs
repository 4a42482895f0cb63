//! Identity's business rules as plain async functions over the [`Platform`].
//!
//! [`Platform`]: agora_platform::Platform

pub mod accounts;
pub mod api_keys;
pub mod key_usage;
pub mod one_time;
pub mod policy;
pub mod sessions;

use agora_entities::identity::user;
use agora_platform::{AppError, AppResult, auth::Role};
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

/// The stored role of `user`, or `INTERNAL` if the row holds an unknown one.
pub fn role_of(user: &user::Model) -> AppResult<Role> {
    Role::parse(&user.role).ok_or_else(|| {
        AppError::internal(format!("user {} has unknown role {:?}", user.id, user.role))
    })
}

/// Loads a user or fails with `NOT_FOUND`.
pub async fn find_user<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<user::Model> {
    user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("no such user".into()))
}
