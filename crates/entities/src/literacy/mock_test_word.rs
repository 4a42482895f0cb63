//! `literacy_mock_test_words`: the words drawn for a mock test and their answers.

use sea_orm::entity::prelude::*;

/// One drawn word.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "literacy_mock_test_words")]
pub struct Model {
    /// The test.
    #[sea_orm(primary_key, auto_increment = false)]
    pub test_id: Uuid,
    /// The word.
    #[sea_orm(primary_key, auto_increment = false)]
    pub word_id: Uuid,
    /// Order in the test, from 0.
    pub position: i32,
    /// Similarity 0–100 once answered.
    pub similarity: Option<i32>,
    /// Above the bar, once answered.
    pub passed: Option<bool>,
    /// Speaking time in ms, once answered.
    pub duration_ms: Option<i32>,
    /// When answered.
    pub answered_at: Option<DateTimeUtc>,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
