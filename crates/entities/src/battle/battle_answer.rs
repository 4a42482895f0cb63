//! `battle_answers`: one player's answer to one question of a room.

use sea_orm::entity::prelude::*;

/// An accepted answer.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "battle_answers")]
pub struct Model {
    /// The room.
    #[sea_orm(primary_key, auto_increment = false)]
    pub room_id: Uuid,
    /// Question position in the room.
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    /// The player.
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// The chosen choice.
    pub choice_id: Uuid,
    /// Whether it was right.
    pub correct: bool,
    /// Points it earns at the reveal (streak bonus included).
    pub points: i32,
    /// Time from the question's start.
    pub elapsed_ms: i32,
    /// Accepted at.
    pub answered_at: DateTimeUtc,
}

/// Relations of `battle_answers`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
