//! Captures: text, a web page, a screenshot or a video that a learner sends
//! (`captureContent`) and gets back as a personal topic with 3–5 flashcards.
//!
//! - The capture is stored `PENDING` with a `CAPTURE_SUBMITTED` outbox event in one
//!   transaction (an upload waits in `capture_uploads`, readable by every replica). The
//!   outbox handler claims it (`PROCESSING`) in its delivery transaction and, once that
//!   committed, processes it in the background on the replica that claimed it — at most
//!   [`CONCURRENCY`] at a time per process — with a heartbeat every [`HEARTBEAT`]. A capture
//!   whose heartbeat stopped for [`STALE_AFTER`] (its replica went away) reads `FAILED`.
//! - Reading: text as sent; a URL fetched under [`fetch`]'s rules and reduced to its readable
//!   text; a screenshot read by Tesseract; a video's sound transcribed by PocketSphinx
//!   ([`engines`]).
//! - Cards: with `AGORA_LLM_URL` set, a model writes them (JSON-schema constrained output);
//!   otherwise, or when the model fails, TextRank picks the key sentences and turns them into
//!   question and cloze cards (`agora_extract`). `processor` says which did.
//! - The topic, the cards and `PROCESSED` are written in one transaction, only while the
//!   capture is still `PROCESSING` (a capture deleted meanwhile leaves nothing behind). The
//!   upload is deleted once processed or failed. Every change is published on the learner's
//!   channel (`captureUpdated`).

pub(crate) mod engines;
pub(crate) mod fetch;
mod generate;
pub(crate) mod settings;
pub(crate) mod types;

use std::{sync::Arc, time::Duration as StdDuration};

use agora_entities::learning::{
    capture::{self, Kind, Status},
    capture_upload, flashcard, personal_topic,
};
use agora_events::CaptureSubmitted;
use agora_platform::{
    AppError, AppResult, Platform,
    db::begin_write,
    outbox::{self, NewEvent},
    pagination::{Page, PageRequest, TimeCursor, fetch_time_page},
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, Order,
    PaginatorTrait, QueryFilter,
};
use tokio::sync::Semaphore;
use uuid::Uuid;

use self::{
    engines::Engines,
    fetch::{FetchError, FetchPolicy, Fetcher},
    settings::CaptureSettings,
};
use crate::{personal, service};

/// Captures processed at once per process (OCR and transcription are CPU-bound).
pub(crate) const CONCURRENCY: usize = 2;
/// How often a capture being processed says it is alive.
pub(crate) const HEARTBEAT: StdDuration = StdDuration::from_secs(5);
/// A capture without a heartbeat for this long was interrupted.
pub(crate) const STALE_AFTER: Duration = Duration::seconds(60);
/// Shortest text worth making cards of, in characters.
pub(crate) const MIN_TEXT: usize = 40;
/// Longest pasted text, in characters.
pub(crate) const MAX_TEXT: usize = 100_000;
/// Longest URL or source.
pub(crate) const MAX_SOURCE: usize = 2_000;
/// Largest screenshot, in bytes.
pub(crate) const MAX_SCREENSHOT_BYTES: usize = 5 * 1024 * 1024;
/// Largest video, in bytes.
pub(crate) const MAX_VIDEO_BYTES: usize = 25 * 1024 * 1024;
/// Captures a learner may have waiting or in processing at once.
pub(crate) const MAX_UNFINISHED: u64 = 5;
/// Text kept on the capture for the learner to see, in characters.
const KEPT_TEXT: usize = 20_000;
/// Cards made per capture.
pub(crate) const CARDS: usize = 5;

static SLOTS: Semaphore = Semaphore::const_new(CONCURRENCY);

/// Media types a screenshot may have.
pub(crate) const IMAGE_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/bmp",
    "image/tiff",
    "image/webp",
];

/// The bus channel of `user`'s captures (each message: a capture id).
pub(crate) fn channel(user: Uuid) -> String {
    format!("learning:captures:{user}")
}

/// What capturing needs per process: the fetcher, the engines, the model client.
#[derive(Clone)]
pub struct CaptureRuntime {
    fetcher: Fetcher,
    engines: Engines,
    llm: Option<agora_llm::LlmClient>,
}

impl CaptureRuntime {
    /// The runtime `settings` and `llm` describe. A model URL that does not parse is logged
    /// and left unused (cards then come from TextRank).
    pub fn new(settings: &CaptureSettings, llm: &agora_llm::LlmSettings) -> Self {
        let llm = match llm.client() {
            Some(Ok(client)) => Some(client),
            Some(Err(err)) => {
                tracing::warn!(error = %err, "AGORA_LLM_URL is not usable; captures use TextRank");
                None
            }
            None => None,
        };
        Self {
            fetcher: Fetcher::new(FetchPolicy {
                timeout: settings.capture_fetch_timeout,
                max_bytes: settings.capture_max_page_bytes,
                allowed_hosts: settings.capture_allowed_hosts.clone(),
            }),
            engines: Engines {
                timeout: settings.capture_engine_timeout,
                max_seconds: settings.capture_max_video_seconds,
            },
            llm,
        }
    }

    /// The runtime the server put in the schema data (`INTERNAL` if it forgot it).
    pub(crate) fn of<'a>(ctx: &async_graphql::Context<'a>) -> AppResult<&'a Self> {
        ctx.data::<Self>()
            .map_err(|_| AppError::internal("CaptureRuntime missing from the schema data"))
    }
}

/// An uploaded file.
pub(crate) struct Upload {
    /// Its media type, as sent.
    pub content_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// What a learner sends.
pub(crate) struct NewCapture {
    pub kind: Kind,
    pub content: Option<String>,
    pub upload: Option<Upload>,
    pub source: Option<String>,
    pub topic: Option<Uuid>,
}

/// Checks and stores a capture of `user`, `PENDING`, with its event.
pub(crate) async fn submit(
    platform: &Platform,
    runtime: &CaptureRuntime,
    user: Uuid,
    input: NewCapture,
) -> AppResult<capture::Model> {
    let content = input
        .content
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let source = input
        .source
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if source.is_some_and(|s| s.chars().count() > MAX_SOURCE) {
        return Err(AppError::bad_input(
            "input.source",
            format!("`input.source` must be at most {MAX_SOURCE} characters"),
        ));
    }
    let (content, upload) = match input.kind {
        Kind::Text | Kind::Url => {
            if input.upload.is_some() {
                return Err(AppError::bad_input(
                    "input.upload",
                    "a TEXT or URL capture takes `content`, not an upload",
                ));
            }
            let Some(content) = content else {
                return Err(AppError::bad_input(
                    "input.content",
                    "`input.content` is required for a TEXT or URL capture",
                ));
            };
            let content = if input.kind == Kind::Text {
                let chars = content.chars().count();
                if chars < MIN_TEXT {
                    return Err(AppError::bad_input(
                        "input.content",
                        format!("the text is {chars} characters; cards need at least {MIN_TEXT}"),
                    ));
                }
                if chars > MAX_TEXT {
                    return Err(AppError::bad_input(
                        "input.content",
                        format!("the text is {chars} characters; at most {MAX_TEXT} are read"),
                    ));
                }
                content.to_owned()
            } else {
                if content.chars().count() > MAX_SOURCE {
                    return Err(AppError::bad_input(
                        "input.content",
                        format!("a URL must be at most {MAX_SOURCE} characters"),
                    ));
                }
                match runtime.fetcher.check(content).await {
                    Ok(url) => url.to_string(),
                    Err(FetchError::Refused(why) | FetchError::Failed(why)) => {
                        return Err(AppError::bad_input("input.content", why));
                    }
                }
            };
            (Some(content), None)
        }
        Kind::Screenshot | Kind::Video => {
            if content.is_some() {
                return Err(AppError::bad_input(
                    "input.content",
                    "a SCREENSHOT or VIDEO capture takes an upload, not `content`",
                ));
            }
            let Some(upload) = input.upload else {
                return Err(AppError::bad_input(
                    "input.upload",
                    "`input.upload` is required for a SCREENSHOT or VIDEO capture (send the \
                     request as multipart/form-data)",
                ));
            };
            check_upload(input.kind, &upload)?;
            (None, Some(upload))
        }
    };
    if let Some(topic) = input.topic {
        service::topic_exists(&platform.db, topic, "input.topicId").await?;
    }
    let unfinished = capture::Entity::find()
        .filter(capture::Column::OwnerId.eq(user))
        .filter(capture::Column::Status.is_in([Status::Pending, Status::Processing]))
        .filter(capture::Column::UpdatedAt.gt(platform.clock.now() - STALE_AFTER))
        .count(&platform.db)
        .await?;
    if unfinished >= MAX_UNFINISHED {
        return Err(AppError::Conflict(format!(
            "you have {unfinished} captures waiting or being processed; wait for one to finish"
        )));
    }
    let now = platform.clock.now();
    let model = capture::Model {
        id: Uuid::now_v7(),
        owner_id: user,
        kind: input.kind,
        status: Status::Pending,
        source: source.map(str::to_owned),
        content,
        upload_type: upload.as_ref().map(|u| u.content_type.clone()),
        upload_bytes: upload.as_ref().map(|u| u.bytes.len() as i32),
        extracted_text: None,
        title: None,
        processor: None,
        reason: None,
        personal_topic_id: None,
        topic_id: input.topic,
        heartbeat_at: None,
        created_at: now,
        updated_at: now,
    };
    let txn = begin_write(&platform.db).await?;
    capture::Entity::insert(model.clone().into_active_model())
        .exec_without_returning(&txn)
        .await?;
    if let Some(upload) = upload {
        capture_upload::Entity::insert(capture_upload::ActiveModel {
            capture_id: Set(model.id),
            content_type: Set(upload.content_type),
            bytes: Set(upload.bytes),
        })
        .exec_without_returning(&txn)
        .await?;
    }
    outbox::enqueue(
        &txn,
        now,
        NewEvent::of(
            model.id,
            &CaptureSubmitted {
                user_id: user,
                capture_id: model.id,
            },
        )?,
    )
    .await?;
    txn.commit().await?;
    platform.wake_outbox();
    announce(platform, user, model.id).await;
    Ok(model)
}

/// Refuses an upload of the wrong type or size for `kind`.
fn check_upload(kind: Kind, upload: &Upload) -> AppResult<()> {
    let media = upload
        .content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let (max, fits) = match kind {
        Kind::Screenshot => (
            MAX_SCREENSHOT_BYTES,
            IMAGE_TYPES.contains(&media.as_str()) && looks_like_image(&upload.bytes),
        ),
        _ => (
            MAX_VIDEO_BYTES,
            media.starts_with("video/") || media.starts_with("audio/"),
        ),
    };
    if upload.bytes.is_empty() {
        return Err(AppError::bad_input("input.upload", "the upload is empty"));
    }
    if upload.bytes.len() > max {
        return Err(AppError::bad_input(
            "input.upload",
            format!(
                "the upload is {} bytes; a {} may be at most {max} bytes",
                upload.bytes.len(),
                if kind == Kind::Screenshot {
                    "screenshot"
                } else {
                    "video"
                }
            ),
        ));
    }
    if !fits {
        return Err(AppError::bad_input(
            "input.upload",
            match kind {
                Kind::Screenshot => format!(
                    "a screenshot must be an image ({}), not {media:?}",
                    IMAGE_TYPES.join(", ")
                ),
                _ => format!("a video must be video/* or audio/*, not {media:?}"),
            },
        ));
    }
    Ok(())
}

/// Whether `bytes` start like one of [`IMAGE_TYPES`].
fn looks_like_image(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        || bytes.starts_with(b"\xff\xd8\xff")
        || bytes.starts_with(b"GIF8")
        || bytes.starts_with(b"BM")
        || bytes.starts_with(b"II*\0")
        || bytes.starts_with(b"MM\0*")
        || (bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP")
}

/// Tells `user`'s `captureUpdated` subscribers that capture `id` changed.
async fn announce(platform: &Platform, user: Uuid, id: Uuid) {
    if let Err(err) = platform.bus.publish(&channel(user), &id.to_string()).await {
        tracing::warn!(error = %err.log_message(), "capture update not published");
    }
}

/// A stored capture as the learner sees it: one whose processing stopped reads `FAILED`.
pub(crate) fn present(mut capture: capture::Model, now: DateTime<Utc>) -> capture::Model {
    if capture.status == Status::Processing
        && capture
            .heartbeat_at
            .is_none_or(|beat| now - beat > STALE_AFTER)
    {
        capture.status = Status::Failed;
        capture.reason = Some(
            "processing stopped (the server processing it went away); capture it again".into(),
        );
    }
    capture
}

/// `user`'s capture `id`, if theirs.
pub(crate) async fn find(
    platform: &Platform,
    user: Uuid,
    id: Uuid,
) -> AppResult<Option<capture::Model>> {
    Ok(capture::Entity::find_by_id(id)
        .filter(capture::Column::OwnerId.eq(user))
        .one(&platform.db)
        .await?
        .map(|c| present(c, platform.clock.now())))
}

/// A page of `user`'s captures, newest first, of one status if asked.
pub(crate) async fn page(
    platform: &Platform,
    user: Uuid,
    status: Option<Status>,
    page: &PageRequest<TimeCursor>,
) -> AppResult<Page<capture::Model>> {
    let now = platform.clock.now();
    let stale = now - STALE_AFTER;
    let mut select = capture::Entity::find().filter(capture::Column::OwnerId.eq(user));
    // Filter on what is shown: an interrupted capture is listed as FAILED, not PROCESSING.
    select = match status {
        None => select,
        Some(Status::Processing) => select
            .filter(capture::Column::Status.eq(Status::Processing))
            .filter(capture::Column::HeartbeatAt.gt(stale)),
        Some(Status::Failed) => select.filter(
            sea_orm::Condition::any()
                .add(capture::Column::Status.eq(Status::Failed))
                .add(
                    sea_orm::Condition::all()
                        .add(capture::Column::Status.eq(Status::Processing))
                        .add(
                            sea_orm::Condition::any()
                                .add(capture::Column::HeartbeatAt.is_null())
                                .add(capture::Column::HeartbeatAt.lte(stale)),
                        ),
                ),
        ),
        Some(other) => select.filter(capture::Column::Status.eq(other)),
    };
    let found = fetch_time_page(
        &platform.db,
        select,
        (capture::Column::CreatedAt, capture::Column::Id),
        Order::Desc,
        page,
        |c| TimeCursor {
            t: c.created_at,
            id: c.id,
        },
    )
    .await?;
    Ok(Page {
        rows: found
            .rows
            .into_iter()
            .map(|(cursor, c)| (cursor, present(c, now)))
            .collect(),
        has_previous: found.has_previous,
        has_next: found.has_next,
    })
}

/// The cards made from capture `id`.
pub(crate) async fn cards<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> AppResult<Vec<flashcard::Model>> {
    use sea_orm::QueryOrder;
    Ok(flashcard::Entity::find()
        .filter(flashcard::Column::CaptureId.eq(id))
        .order_by_asc(flashcard::Column::CreatedAt)
        .order_by_asc(flashcard::Column::Id)
        .all(db)
        .await?)
}

/// Deletes `user`'s capture `id` and its upload. The topic and cards made from it stay (they
/// are the learner's now, with their reviews); a capture being processed stops leaving
/// nothing.
pub(crate) async fn delete(platform: &Platform, user: Uuid, id: Uuid) -> AppResult<()> {
    let txn = begin_write(&platform.db).await?;
    let deleted = capture::Entity::delete_many()
        .filter(capture::Column::Id.eq(id))
        .filter(capture::Column::OwnerId.eq(user))
        .exec(&txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(AppError::NotFound("no such capture".into()));
    }
    capture_upload::Entity::delete_many()
        .filter(capture_upload::Column::CaptureId.eq(id))
        .exec(&txn)
        .await?;
    flashcard::Entity::update_many()
        .col_expr(
            flashcard::Column::CaptureId,
            sea_orm::sea_query::Expr::value(Option::<Uuid>::None),
        )
        .filter(flashcard::Column::CaptureId.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    announce(platform, user, id).await;
    Ok(())
}

/// Claims capture `id` for processing (`PENDING` → `PROCESSING`) through `txn`; whether it
/// was this call that claimed it.
pub(crate) async fn claim<C: ConnectionTrait>(
    txn: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let claimed = capture::Entity::update_many()
        .set(capture::ActiveModel {
            status: Set(Status::Processing),
            heartbeat_at: Set(Some(now)),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(capture::Column::Id.eq(id))
        .filter(capture::Column::Status.eq(Status::Pending))
        .exec(txn)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Processes claimed capture `id` of `user`: reads it, makes the cards, stores the outcome.
pub(crate) async fn process(
    platform: Platform,
    runtime: Arc<CaptureRuntime>,
    user: Uuid,
    id: Uuid,
) {
    announce(&platform, user, id).await;
    let beat = tokio_util::sync::CancellationToken::new();
    let heartbeat = tokio::spawn(heartbeat(platform.clone(), id, beat.clone()));
    let outcome = async {
        let _slot = SLOTS
            .acquire()
            .await
            .map_err(|_| "the capture processor is shutting down".to_owned())?;
        let started = std::time::Instant::now();
        let result = read_and_generate(&platform, &runtime, id).await;
        tracing::info!(capture = %id, ms = started.elapsed().as_millis() as u64, ok = result.is_ok(), "capture processed");
        result
    }
    .await;
    beat.cancel();
    let _ = heartbeat.await;
    let stored = match outcome {
        Ok(made) => finish(&platform, user, id, made).await,
        Err(reason) => fail(&platform, id, &reason).await,
    };
    if let Err(err) = stored {
        tracing::warn!(capture = %id, error = %err.log_message(), "capture outcome not stored");
        // The heartbeat stopped: the capture reads FAILED after STALE_AFTER.
    }
    announce(&platform, user, id).await;
}

async fn heartbeat(platform: Platform, id: Uuid, stop: tokio_util::sync::CancellationToken) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(HEARTBEAT) => {}
        }
        let now = platform.clock.now();
        let beat = capture::Entity::update_many()
            .col_expr(
                capture::Column::HeartbeatAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(capture::Column::Id.eq(id))
            .filter(capture::Column::Status.eq(Status::Processing))
            .exec(&platform.db)
            .await;
        if let Err(err) = beat {
            tracing::warn!(capture = %id, error = %err, "capture heartbeat not written");
        }
    }
}

/// What processing made.
pub(crate) struct Made {
    title: String,
    text: String,
    processor: &'static str,
    cards: Vec<(String, String)>,
}

async fn read_and_generate(
    platform: &Platform,
    runtime: &CaptureRuntime,
    id: Uuid,
) -> Result<Made, String> {
    let capture = capture::Entity::find_by_id(id)
        .one(&platform.db)
        .await
        .map_err(|e| {
            tracing::warn!(capture = %id, error = %e, "capture not read");
            "the capture could not be read; capture it again".to_owned()
        })?
        .ok_or_else(|| "the capture was deleted".to_owned())?;
    let (title, text) = match capture.kind {
        Kind::Text => (None, capture.content.clone().unwrap_or_default()),
        Kind::Url => {
            // `fetch` checks the host of every hop, the first included.
            let url = fetch::parse(capture.content.as_deref().unwrap_or_default())
                .map_err(|e| e.to_string())?;
            let page = runtime
                .fetcher
                .fetch(url)
                .await
                .map_err(|e| e.to_string())?;
            if page.media_type == "text/plain" {
                (None, page.body)
            } else {
                // Parsing a large page is CPU work: off the async workers.
                let readable =
                    tokio::task::spawn_blocking(move || agora_extract::readable_text(&page.body))
                        .await
                        .map_err(|_| "the page could not be read".to_owned())?;
                (readable.title, readable.text)
            }
        }
        Kind::Screenshot | Kind::Video => {
            let upload = capture_upload::Entity::find_by_id(id)
                .one(&platform.db)
                .await
                .map_err(|_| "the upload could not be read; capture it again".to_owned())?
                .ok_or_else(|| "the upload is gone; capture it again".to_owned())?;
            let text = if capture.kind == Kind::Screenshot {
                runtime.engines.ocr(&upload.bytes).await?
            } else {
                runtime.engines.transcribe(&upload.bytes).await?
            };
            (None, text)
        }
    };
    let text = normalise(&text);
    if text.chars().count() < MIN_TEXT {
        return Err(match capture.kind {
            Kind::Screenshot => "no readable text was found in the screenshot".to_owned(),
            Kind::Video => "no speech was recognised in the video".to_owned(),
            Kind::Url => "the page has no readable text".to_owned(),
            Kind::Text => "the text is too short to make cards of".to_owned(),
        });
    }
    let (processor, cards, model_title) = generate::cards(runtime.llm.as_ref(), &text).await;
    if cards.is_empty() {
        return Err(
            "no sentence in it could be made into a card (it needs a few full sentences)".into(),
        );
    }
    let title = model_title
        .or(title)
        .or_else(|| capture.source.clone())
        .unwrap_or_else(|| first_words(&text));
    Ok(Made {
        title: clip(&title, personal::MAX_NAME),
        text: clip(&text, KEPT_TEXT),
        processor,
        cards,
    })
}

/// Whitespace collapsed within lines, blank lines kept as paragraph breaks.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = false;
    for line in text.lines() {
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { "\n" });
        }
        blank = false;
        out.push_str(&line);
    }
    out
}

fn first_words(text: &str) -> String {
    text.split_whitespace()
        .take(8)
        .collect::<Vec<_>>()
        .join(" ")
}

fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.trim().to_owned();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

/// Stores the topic, the cards and `PROCESSED`, if the capture is still being processed.
async fn finish(platform: &Platform, user: Uuid, id: Uuid, made: Made) -> AppResult<()> {
    let now = platform.clock.now();
    let txn = begin_write(&platform.db).await?;
    let Some(capture) = capture::Entity::find_by_id(id).one(&txn).await? else {
        return Ok(());
    };
    if capture.status != Status::Processing {
        return Ok(());
    }
    let held = flashcard::Entity::find()
        .filter(flashcard::Column::OwnerId.eq(user))
        .count(&txn)
        .await?;
    let topics = personal_topic::Entity::find()
        .filter(personal_topic::Column::OwnerId.eq(user))
        .count(&txn)
        .await?;
    let refusal = if held + made.cards.len() as u64 > service::MAX_CARDS_PER_USER {
        Some(format!(
            "you hold {held} flashcards; the cards would pass the {} one learner may hold",
            service::MAX_CARDS_PER_USER
        ))
    } else if topics >= personal::MAX_TOPICS {
        Some(format!(
            "you keep {topics} topics, the most one learner may; delete some first"
        ))
    } else {
        None
    };
    if let Some(reason) = refusal {
        drop(txn);
        return fail(platform, id, &reason).await;
    }
    let topic = personal_topic::Model {
        id: Uuid::now_v7(),
        owner_id: user,
        parent_id: None,
        name: made.title.clone(),
        linked_topic_id: capture.topic_id,
        created_at: now,
        updated_at: now,
    };
    personal_topic::Entity::insert(topic.clone().into_active_model())
        .exec_without_returning(&txn)
        .await?;
    let cards: Vec<flashcard::ActiveModel> = made
        .cards
        .into_iter()
        .map(|sides| {
            let mut card = service::new_card(
                user,
                capture.topic_id,
                sides,
                flashcard::Difficulty::Normal,
                now,
            );
            card.capture_id = Some(id);
            card.tags = " capture ".to_owned();
            card.into_active_model()
        })
        .collect();
    flashcard::Entity::insert_many(cards)
        .exec_without_returning(&txn)
        .await?;
    capture::Entity::update_many()
        .set(capture::ActiveModel {
            status: Set(Status::Processed),
            extracted_text: Set(Some(made.text)),
            title: Set(Some(made.title)),
            processor: Set(Some(made.processor.to_owned())),
            personal_topic_id: Set(Some(topic.id)),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(capture::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    capture_upload::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Marks capture `id` `FAILED` with `reason` (if still being processed) and drops its upload.
async fn fail(platform: &Platform, id: Uuid, reason: &str) -> AppResult<()> {
    let now = platform.clock.now();
    let txn = begin_write(&platform.db).await?;
    capture::Entity::update_many()
        .set(capture::ActiveModel {
            status: Set(Status::Failed),
            reason: Set(Some(clip(reason, 1000))),
            updated_at: Set(now),
            ..Default::default()
        })
        .filter(capture::Column::Id.eq(id))
        .filter(capture::Column::Status.eq(Status::Processing))
        .exec(&txn)
        .await?;
    capture_upload::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// The outbox handler that claims submitted captures and processes them once claimed.
pub(crate) struct CaptureProcessor {
    pub(crate) runtime: Arc<CaptureRuntime>,
}

#[async_trait::async_trait]
impl agora_platform::outbox::OutboxHandler for CaptureProcessor {
    fn name(&self) -> &str {
        "learning.process_capture"
    }

    fn consumes(&self) -> &'static [agora_events::EventKind] {
        &[agora_events::EventKind::CaptureSubmitted]
    }

    async fn handle_batch(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        events: &[&agora_entities::platform::outbox_event::Model],
        platform: &Platform,
    ) -> AppResult<outbox::AfterCommit> {
        let mut after = outbox::AfterCommit::default();
        let now = platform.clock.now();
        for event in events {
            let submitted: CaptureSubmitted = outbox::payload(event)?;
            if claim(txn, submitted.capture_id, now).await? {
                after.spawn.push(Box::pin(process(
                    platform.clone(),
                    Arc::clone(&self.runtime),
                    submitted.user_id,
                    submitted.capture_id,
                )));
            }
        }
        Ok(after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_checked_by_type_magic_and_size() {
        let png = Upload {
            content_type: "image/png".into(),
            bytes: b"\x89PNG\r\n\x1a\n rest".to_vec(),
        };
        assert!(check_upload(Kind::Screenshot, &png).is_ok());
        let lying = Upload {
            content_type: "image/png".into(),
            bytes: b"<svg onload=alert(1)>".to_vec(),
        };
        assert!(check_upload(Kind::Screenshot, &lying).is_err());
        let text = Upload {
            content_type: "text/plain".into(),
            bytes: b"hello".to_vec(),
        };
        assert!(check_upload(Kind::Video, &text).is_err());
        let big = Upload {
            content_type: "video/mp4".into(),
            bytes: vec![0; MAX_VIDEO_BYTES + 1],
        };
        assert!(check_upload(Kind::Video, &big).is_err());
        let empty = Upload {
            content_type: "video/mp4".into(),
            bytes: Vec::new(),
        };
        assert!(check_upload(Kind::Video, &empty).is_err());
    }

    #[test]
    fn titles_are_clipped_and_text_normalised() {
        assert_eq!(clip("abcdef", 4), "abc…");
        assert_eq!(clip(" ab ", 4), "ab");
        assert_eq!(normalise("a   b\n\n\n\nc"), "a b\n\nc");
        assert_eq!(normalise("\n\n a\n b \n\n"), "a\nb");
    }
}
