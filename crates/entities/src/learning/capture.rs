//! `captures`: content a learner sent to be turned into a personal topic and flashcards.

use sea_orm::entity::prelude::*;

/// One capture.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "captures")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The learner.
    pub owner_id: Uuid,
    /// What was sent.
    pub kind: Kind,
    /// Where it stands.
    pub status: Status,
    /// Where it came from, as the learner said (a book, a lecture, a URL).
    pub source: Option<String>,
    /// The text, or the URL, sent (uploads have none).
    #[sea_orm(column_type = "Text", nullable)]
    pub content: Option<String>,
    /// The upload's media type.
    pub upload_type: Option<String>,
    /// The upload's size in bytes.
    pub upload_bytes: Option<i32>,
    /// The text the processor read from the content (capped).
    #[sea_orm(column_type = "Text", nullable)]
    pub extracted_text: Option<String>,
    /// The title found (page title, first sentence) and given to the topic.
    pub title: Option<String>,
    /// What made the cards: `TEXTRANK` or `LLM`.
    pub processor: Option<String>,
    /// Why it failed.
    pub reason: Option<String>,
    /// The personal topic made for it.
    pub personal_topic_id: Option<Uuid>,
    /// The public topic its cards belong to, if the learner chose one.
    pub topic_id: Option<Uuid>,
    /// Last sign of life of the replica processing it.
    pub heartbeat_at: Option<DateTimeUtc>,
    /// Sent.
    pub created_at: DateTimeUtc,
    /// Last changed.
    pub updated_at: DateTimeUtc,
}

/// What a capture holds, stored as its SCREAMING_SNAKE_CASE name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum Kind {
    /// Text pasted in.
    Text,
    /// A web page, fetched.
    Url,
    /// An image, read with OCR.
    Screenshot,
    /// A video (or audio), transcribed.
    Video,
}

/// Where a capture stands, stored as its SCREAMING_SNAKE_CASE name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(
    rs_type = "String",
    db_type = "String(StringLen::None)",
    rename_all = "SCREAMING_SNAKE_CASE"
)]
pub enum Status {
    /// Waiting for the processor.
    Pending,
    /// Being read and turned into cards.
    Processing,
    /// Its topic and cards exist.
    Processed,
    /// Stopped with a reason.
    Failed,
}

/// No relations are navigated.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
