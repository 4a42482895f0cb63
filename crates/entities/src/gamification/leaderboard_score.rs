//! `leaderboard_scores`: each user's total on each TOPIC board, and when it was reached (the
//! GLOBAL and WEEKLY totals are columns of `user_progress`).

use sea_orm::entity::prelude::*;

/// One user on one board.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leaderboard_scores")]
pub struct Model {
    /// `topic:<uuid>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub board: String,
    /// The user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// Points on this board.
    pub points: i64,
    /// Unix seconds when they were reached (ties: earlier first).
    pub reached_at: i64,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
