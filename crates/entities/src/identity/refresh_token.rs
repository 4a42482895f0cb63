//! `refresh_tokens`: rotating refresh tokens, stored hashed.

use sea_orm::entity::prelude::*;

/// One refresh token of a session's family. Using one marks it used; using it again is reuse.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The session (family) it belongs to.
    pub session_id: Uuid,
    /// SHA-256 of the token, hex; the token itself is never stored.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// Issue time.
    pub created_at: DateTimeUtc,
    /// Expiry.
    pub expires_at: DateTimeUtc,
    /// When it was exchanged for a new pair.
    pub used_at: Option<DateTimeUtc>,
}

/// Relations of `refresh_tokens`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The session.
    #[sea_orm(
        belongs_to = "super::session::Entity",
        from = "Column::SessionId",
        to = "super::session::Column::Id",
        on_delete = "Cascade"
    )]
    Session,
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
