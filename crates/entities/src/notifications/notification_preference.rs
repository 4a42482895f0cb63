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
    /// The notification kind, e.g. `STREAK_AT_RISK`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    /// `IN_APP`, `EMAIL` or `PUSH`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub channel: String,
    /// Deliver on this channel.
    pub enabled: bool,
    /// Last change.
    pub updated_at: DateTimeUtc,
}

/// Relations of `notification_preferences`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
