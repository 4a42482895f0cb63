//! DataLoaders for users, so other domains' `author`/`user` fields cost one query per page.

use std::collections::HashMap;

use agora_entities::identity::user;
use agora_platform::loader::LoadError;
use async_graphql::dataloader::Loader;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

/// Loads users by id.
pub struct UserLoader {
    db: DatabaseConnection,
}

impl UserLoader {
    /// A loader over `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

impl Loader<Uuid> for UserLoader {
    type Value = user::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, user::Model>, LoadError> {
        let users = user::Entity::find()
            .filter(user::Column::Id.is_in(keys.iter().copied()))
            .all(&self.db)
            .await
            .map_err(|e| format!("loading users: {e}"))?;
        Ok(users.into_iter().map(|u| (u.id, u)).collect())
    }
}
