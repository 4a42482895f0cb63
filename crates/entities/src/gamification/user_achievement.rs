//! `user_achievements`: which achievements each user unlocked, and when.

use sea_orm::entity::prelude::*;

/// One unlock.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_achievements")]
pub struct Model {
    /// The user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// The achievement.
    #[sea_orm(primary_key, auto_increment = false)]
    pub achievement_key: String,
    /// When.
    pub unlocked_at: DateTimeUtc,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
