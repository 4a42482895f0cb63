//! `battle_questions`: the questions drawn for a room, in order.

use sea_orm::entity::prelude::*;

/// One drawn question.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "battle_questions")]
pub struct Model {
    /// The room.
    #[sea_orm(primary_key, auto_increment = false)]
    pub room_id: Uuid,
    /// 0-based order.
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    /// The question.
    pub question_id: Uuid,
}

/// Relations of `battle_questions`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
