//! `daily_activity`: points and actions per user per local day, a view over the ledger
//! (`point_awards` holds each award's local day): read it, never write it.

use sea_orm::entity::prelude::*;

/// One user-day.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "daily_activity")]
pub struct Model {
    /// The user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// The day in the user's zone (`YYYY-MM-DD`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub local_date: String,
    /// Points earned that day.
    pub points: i32,
    /// Rewarded actions that day.
    pub actions: i32,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
