//! `battle_rooms`: a room, its state machine and its next deadline.

use sea_orm::entity::prelude::*;

/// A battle room.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "battle_rooms")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Six-character join code, unique.
    #[sea_orm(unique)]
    pub code: String,
    /// Questions come from this topic and its subtopics; any topic when null.
    pub topic_id: Option<Uuid>,
    /// The host.
    pub host_id: Uuid,
    /// Lifecycle.
    pub status: Status,
    /// Where the current question stands.
    pub phase: Phase,
    /// Hidden from `openBattleRooms` and quick match.
    pub is_private: bool,
    /// Opened by matchmaking (auto-starts).
    pub quick_match: bool,
    /// May start with one player.
    pub allow_solo: bool,
    /// Questions in the battle.
    pub question_count: i32,
    /// Time limit per question.
    pub seconds_per_question: i32,
    /// Most players.
    pub max_players: i32,
    /// Current question, 0-based; -1 in the lobby.
    pub question_index: i32,
    /// When the current phase began.
    pub phase_started_at: Option<DateTimeUtc>,
    /// When the driver must act next.
    pub deadline: Option<DateTimeUtc>,
    /// +1 on every change; orders live events.
    pub version: i64,
    /// JSON final ranking, once finished.
    pub results: Option<String>,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last activity.
    pub updated_at: DateTimeUtc,
    /// Started.
    pub started_at: Option<DateTimeUtc>,
    /// Finished or cancelled.
    pub finished_at: Option<DateTimeUtc>,
}

/// `battle_rooms.status`, stored as its SCREAMING_SNAKE_CASE name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum Status {
    /// Waiting for players.
    Lobby,
    /// Being played.
    InProgress,
    /// Played to the end.
    Finished,
    /// Abandoned before the end.
    Cancelled,
}

/// `battle_rooms.phase`, stored as its SCREAMING_SNAKE_CASE name (and so in live events).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum Phase {
    /// Not started.
    Lobby,
    /// Answers are open until the deadline.
    Question,
    /// The answer is shown until the deadline.
    Reveal,
    /// Finished or cancelled.
    Done,
}

/// Relations of `battle_rooms`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
