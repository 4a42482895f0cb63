//! `battle_players`: who plays in a room, with running scores.

use sea_orm::entity::prelude::*;

/// A player of a room.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "battle_players")]
pub struct Model {
    /// The room.
    #[sea_orm(primary_key, auto_increment = false)]
    pub room_id: Uuid,
    /// The user.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// Joined (or rejoined) at; the longest present becomes host when the host leaves.
    pub joined_at: DateTimeUtc,
    /// Left or was kicked at.
    pub left_at: Option<DateTimeUtc>,
    /// Points so far (revealed questions only).
    pub score: i32,
    /// Correct answers so far.
    pub correct_count: i32,
    /// Consecutive correct answers.
    pub streak: i32,
    /// Total answer time in ms (the time limit for a question left unanswered); breaks ties.
    pub answer_ms: i64,
    /// Live subscriptions to the room.
    pub connections: i32,
}

/// Relations of `battle_players`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
