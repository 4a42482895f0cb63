//! `literacy_words`: the words of a level with their pronunciation and analysis.

use sea_orm::entity::prelude::*;

/// A word to practise.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "literacy_words")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Its level.
    pub level_id: Uuid,
    /// Order within the level.
    pub position: i32,
    /// The word, lowercase; unique.
    #[sea_orm(unique)]
    pub text: String,
    /// ARPAbet with stress digits, space-separated (`HH AH0 L OW1`).
    pub phonemes: String,
    /// The written word split by syllable, hyphen-joined (`hel-lo`).
    pub syllables: String,
    /// JSON array of synonyms (WordNet 3.0).
    pub synonyms: String,
    /// A short definition (WordNet 3.0), when it has one.
    pub definition: Option<String>,
    /// Difficulty 0–100 from the difficulty model.
    pub difficulty: f64,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
