//! `login_attempts`: the record behind the failed-login lockout.

use sea_orm::entity::prelude::*;

/// One sign-in attempt for an e-mail address (known or not, so the lockout cannot be used to
/// tell which addresses exist).
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "login_attempts")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Normalised e-mail tried.
    pub email: String,
    /// Whether it signed in.
    pub succeeded: bool,
    /// When.
    pub attempted_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
