//! DataLoaders for users, so other domains' `author`/`user` fields cost one query per page.

use agora_entities::identity::user;
use agora_platform::loader::ByIdLoader;
use sea_orm::DatabaseConnection;

/// Loads users by id.
pub type UserLoader = ByIdLoader<user::Entity>;

/// A user loader over `db`.
pub(crate) fn user_loader(db: DatabaseConnection) -> UserLoader {
    ByIdLoader::new(db, user::Column::Id, |u: &user::Model| u.id)
}
