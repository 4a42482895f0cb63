//! `notification_preferences`: a user's choice per notification kind and channel, where it
//! differs from the default (no row means the default).

use sea_orm::entity::prelude::*;

/// One choice.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notification_preferences")]
pub struct Model {
    /// Whose choice.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// The notification kind.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: super::notification::Kind,
    /// Where it is delivered.
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: Channel,
    /// Deliver on this channel.
    pub enabled: bool,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// `notification_preferences.channel`, stored as its SCREAMING_SNAKE_CASE name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum Channel {
    /// The in-app feed.
    InApp,
    /// E-mail.
    Email,
    /// A push to the user's devices.
    Push,
}

/// Relations of `notification_preferences`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
