//! `one_time_tokens`: password-reset and e-mail verification tokens, stored hashed.

use sea_orm::entity::prelude::*;

/// A single-use, expiring token sent by e-mail.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "one_time_tokens")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Whose token.
    pub user_id: Uuid,
    /// What it is for.
    pub purpose: Purpose,
    /// SHA-256 of the token, hex.
    #[sea_orm(unique)]
    pub token_hash: String,
    /// Issue time.
    pub created_at: DateTimeUtc,
    /// Expiry.
    pub expires_at: DateTimeUtc,
    /// Set when used; a used token is refused.
    pub used_at: Option<DateTimeUtc>,
}

/// `one_time_tokens.purpose`, stored as its SCREAMING_SNAKE_CASE name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum Purpose {
    /// Lets the holder set a new password.
    PasswordReset,
    /// Confirms the address.
    EmailVerification,
}

/// Relations of `one_time_tokens`.
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
