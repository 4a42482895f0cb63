//! `sessions`: one per sign-in; the family of its rotating refresh tokens.

use sea_orm::entity::prelude::*;

/// A sign-in session. Access tokens name it (`sid`), so revoking it ends them at once.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// UUIDv7; also the refresh-token family id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Owner.
    pub user_id: Uuid,
    /// Sign-in time.
    pub created_at: DateTimeUtc,
    /// Set when the session ends (logout, reuse detected, password change).
    pub revoked_at: Option<DateTimeUtc>,
    /// Why it ended.
    pub revoked_reason: Option<RevokeReason>,
}

/// `sessions.revoked_reason`, stored as its SCREAMING_SNAKE_CASE name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum RevokeReason {
    /// The user logged out.
    Logout,
    /// A used refresh token was presented again: the family may be stolen.
    RefreshTokenReuse,
    /// The password changed or was reset.
    PasswordChanged,
}

/// Relations of `sessions`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The owner.
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
