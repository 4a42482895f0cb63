//! `literacy_attempts`: every spoken attempt, practice or mock test, with its score.

use sea_orm::entity::prelude::*;

/// One attempt.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "literacy_attempts")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The learner.
    pub user_id: Uuid,
    /// The word.
    pub word_id: Uuid,
    /// The mock test it answered, if any.
    pub mock_test_id: Option<Uuid>,
    /// Similarity 0–100.
    pub similarity: i32,
    /// Above the bar.
    pub passed: bool,
    /// What was heard, ARPAbet without stress, space-separated.
    pub heard: String,
    /// The client's transcript, when it sent one.
    pub transcript: Option<String>,
    /// How the answer came.
    pub source: Source,
    /// Speaking time in ms.
    pub duration_ms: i32,
    /// JSON array of mistakes `{expected, heard, position, kind}`.
    pub mistakes: String,
    /// When.
    pub created_at: DateTimeUtc,
}

/// `literacy_attempts.source`, stored as its SCREAMING_SNAKE_CASE name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum Source {
    /// What the client's speech recogniser heard.
    Transcript,
    /// A recording recognised on the server.
    Recording,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
