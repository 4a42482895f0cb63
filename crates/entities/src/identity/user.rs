//! `users`: accounts.

use sea_orm::entity::prelude::*;

/// A registered account.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Normalised (trimmed, lower-case) e-mail, unique.
    #[sea_orm(unique)]
    pub email: String,
    /// Shown to other users.
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// `LEARNER`, `CONTRIBUTOR`, `MODERATOR` or `ADMIN`.
    pub role: String,
    /// IANA time zone name used for daily activity; `UTC` by default.
    pub time_zone: String,
    /// Community reputation: the running total of `reputation_events`.
    pub reputation: i32,
    /// Set once the address is confirmed.
    pub email_verified_at: Option<DateTimeUtc>,
    /// Registration time.
    pub created_at: DateTimeUtc,
    /// Last profile, role or password change.
    pub updated_at: DateTimeUtc,
}

/// Relations of `users`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// Sign-in sessions.
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
    /// API keys owned.
    #[sea_orm(has_many = "super::api_key::Entity")]
    ApiKey,
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl Related<super::api_key::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ApiKey.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
