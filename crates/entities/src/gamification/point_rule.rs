//! `point_rules`: how many points an outbox event type is worth (data, not code).

use sea_orm::entity::prelude::*;

/// One rule.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "point_rules")]
pub struct Model {
    /// The outbox event type it prices, e.g. `BATTLE_FINISHED`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_type: String,
    /// Flat points for the event.
    pub points: i32,
    /// Points per `score_unit` of the event's score (battle points).
    pub score_points: i32,
    /// The score unit; 0 when the rule ignores the score.
    pub score_unit: i32,
    /// Bonus for the winner.
    pub win_points: i32,
    /// Whether the event makes the day active for the streak.
    pub counts_for_streak: bool,
    /// What it rewards, for people.
    pub description: String,
    /// Most awards of this rule that earn points for one user in one local day; null: no cap.
    pub daily_cap: Option<i32>,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
