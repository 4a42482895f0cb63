//! GraphQL types of captures.

use agora_entities::learning::capture::{self, Kind, Status};
use agora_knowledge::api::{TOPIC_TYPE, Topic};
use agora_platform::{context::ContextExt, ids};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result, Upload};
use chrono::{DateTime, Utc};

use crate::types::{Flashcard, PersonalTopic};

/// Global id type name of [`Capture`].
pub const CAPTURE_TYPE: &str = "Capture";

/// What a capture holds.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "Kind")]
pub enum CaptureType {
    /// Text pasted in (`content`, 40 to 100,000 characters).
    Text,
    /// A web page (`content` is its http or https URL; public addresses only).
    Url,
    /// An image (`upload`: PNG, JPEG, GIF, BMP, TIFF or WebP, at most 5 MiB), read with OCR.
    Screenshot,
    /// A video or audio file (`upload`, video/* or audio/*, at most 25 MiB), its speech
    /// transcribed.
    Video,
}

/// Where a capture stands.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "Status")]
pub enum CaptureStatus {
    /// Waiting for the processor.
    Pending,
    /// Being read and made into cards.
    Processing,
    /// Its topic and cards exist.
    Processed,
    /// Stopped; `reason` says why.
    Failed,
}

/// Content to make cards of.
#[derive(InputObject)]
pub(crate) struct CaptureContentInput {
    /// What it is.
    #[graphql(name = "type")]
    pub(crate) kind: CaptureType,
    /// The text, or the URL, for `TEXT` and `URL`.
    pub(crate) content: Option<String>,
    /// The file, for `SCREENSHOT` and `VIDEO` (send the request as multipart/form-data, the
    /// GraphQL multipart request format).
    pub(crate) upload: Option<Upload>,
    /// Where it came from (a book, a lecture), at most 2,000 characters.
    pub(crate) source: Option<String>,
    /// A public topic the cards belong to (and the new personal topic follows).
    pub(crate) topic_id: Option<ID>,
}

/// Content you captured, made into a personal topic and flashcards in the background.
pub struct Capture(pub(crate) capture::Model);

/// Content you captured, made into a personal topic and flashcards in the background.
#[Object]
impl Capture {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(CAPTURE_TYPE, self.0.id)
    }

    /// What it holds.
    #[graphql(name = "type")]
    async fn kind(&self) -> CaptureType {
        self.0.kind.into()
    }

    /// Where it stands.
    async fn status(&self) -> CaptureStatus {
        self.0.status.into()
    }

    /// Why it failed.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// Where it came from, as you said.
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }

    /// The URL, for a `URL` capture.
    async fn url(&self) -> Option<&str> {
        (self.0.kind == Kind::Url)
            .then_some(self.0.content.as_deref())
            .flatten()
    }

    /// The upload's media type, for `SCREENSHOT` and `VIDEO`.
    async fn upload_type(&self) -> Option<&str> {
        self.0.upload_type.as_deref()
    }

    /// The upload's size in bytes.
    async fn upload_bytes(&self) -> Option<i32> {
        self.0.upload_bytes
    }

    /// The title found (the model's, the page's, your source, or the first words).
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }

    /// The text read from it (at most 20,000 characters), once processed.
    async fn text(&self) -> Option<&str> {
        self.0.extracted_text.as_deref()
    }

    /// What made the cards: `TEXTRANK` (offline key sentences) or `LLM` (the configured
    /// model).
    async fn processor(&self) -> Option<&str> {
        self.0.processor.as_deref()
    }

    /// The personal topic made for it (null until processed, or once deleted).
    async fn topic(&self, ctx: &Context<'_>) -> Result<Option<PersonalTopic>> {
        let Some(id) = self.0.personal_topic_id else {
            return Ok(None);
        };
        let platform = ctx.platform()?;
        match crate::personal::own_topic(&platform.db, self.0.owner_id, id).await {
            Ok(topic) => Ok(Some(PersonalTopic(topic))),
            Err(agora_platform::AppError::NotFound(_)) => Ok(None),
            Err(err) => Err(err.into()),
        }
    }

    /// The public topic its cards belong to, if you chose one.
    async fn public_topic(&self, ctx: &Context<'_>) -> Result<Option<Topic>> {
        crate::types::topic_of(ctx, self.0.topic_id).await
    }

    /// The cards made from it, in the order made.
    async fn flashcards(&self, ctx: &Context<'_>) -> Result<Vec<Flashcard>> {
        if self.0.status != Status::Processed {
            return Ok(Vec::new());
        }
        let platform = ctx.platform()?;
        Ok(super::cards(&platform.db, self.0.id)
            .await?
            .into_iter()
            .map(Flashcard)
            .collect())
    }

    /// Sent.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// The topic id of a capture input, decoded.
pub(crate) fn topic_of(
    input: &CaptureContentInput,
) -> agora_platform::AppResult<Option<uuid::Uuid>> {
    ids::decode_opt(input.topic_id.as_ref(), TOPIC_TYPE, "input.topicId")
}
