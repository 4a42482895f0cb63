//! Literacy's audio: word audio synthesised by espeak-ng and cached on disk, and recorded
//! answers recognised offline (ffmpeg, then PocketSphinx in phoneme mode) and scored like a
//! transcript. The server serves both over plain HTTP (`/media/...`).

use std::{path::PathBuf, sync::Arc, time::Duration};

use agora_platform::{AppError, AppResult, Platform, ids};
use uuid::Uuid;

use crate::{
    lexicon,
    service::{levels, practice},
    settings::LiteracySettings,
    speech::{NORMAL_WPM, SLOW_WPM, Speech, SpeechConfig, SpeechError},
    types::{PracticeResult, WORD_TYPE},
};

/// Upload content types a recording may have (checked before decoding; `415` otherwise).
pub const AUDIO_TYPES: &[&str] = &[
    "audio/wav",
    "audio/x-wav",
    "audio/wave",
    "audio/vnd.wave",
    "audio/webm",
    "video/webm",
    "audio/ogg",
    "application/ogg",
    "application/octet-stream",
];

/// Literacy's per-process state: the speech engines and the audio cache. The server builds
/// one, puts it in the schema's data (for `audioUrl`) and keeps it for the media endpoints.
#[derive(Clone)]
pub struct LiteracyRuntime {
    speech: Arc<Speech>,
    media_dir: PathBuf,
}

impl LiteracyRuntime {
    /// The state `settings` set up. Missing engines are logged once, by feature and package;
    /// the server starts anyway.
    pub fn new(settings: &LiteracySettings) -> Self {
        let speech = Speech::new(SpeechConfig {
            timeout: settings.literacy_speech_timeout,
            queue_timeout: Duration::from_secs(5),
            max_concurrent: usize::from(settings.literacy_recognition_concurrency),
            ..SpeechConfig::default()
        });
        let availability = speech.availability();
        for missing in [&availability.tts, &availability.recognition]
            .into_iter()
            .filter_map(|r| r.as_ref().err())
        {
            tracing::warn!("{missing}: that part of literacy answers 503 until it is installed");
        }
        Self {
            speech: Arc::new(speech),
            media_dir: settings.literacy_media_dir.clone(),
        }
    }

    /// Word audio can be synthesised here.
    pub fn tts_available(&self) -> bool {
        self.speech.availability().tts.is_ok()
    }

    /// Largest recording upload, in bytes.
    pub fn max_upload_bytes(&self) -> usize {
        self.speech.config().max_upload_bytes
    }
}

/// A media request refused: an API error, or what the engines answered.
#[derive(Debug)]
pub enum MediaError {
    /// An error with a GraphQL code (bad input, not found, forbidden...).
    App(AppError),
    /// The engines refused or failed: an HTTP status, a code and a message for the client.
    Engine {
        /// HTTP status.
        status: u16,
        /// `extensions.code`.
        code: &'static str,
        /// What the client reads.
        message: String,
        /// Seconds to wait before retrying, for `RATE_LIMITED`.
        retry_after: Option<u64>,
    },
}

impl From<AppError> for MediaError {
    fn from(err: AppError) -> Self {
        Self::App(err)
    }
}

impl From<SpeechError> for MediaError {
    fn from(err: SpeechError) -> Self {
        let engine = |status, code, message: String| Self::Engine {
            status,
            code,
            message,
            retry_after: None,
        };
        match err {
            SpeechError::Missing { .. } => engine(503, "UNAVAILABLE", err.to_string()),
            SpeechError::TooLong { .. } | SpeechError::TooLarge { .. } => {
                engine(413, "BAD_USER_INPUT", err.to_string())
            }
            SpeechError::Undecodable(detail) => {
                tracing::info!(%detail, "recording not decodable");
                engine(
                    400,
                    "BAD_USER_INPUT",
                    "the recording could not be decoded: send WAV, WebM or OGG audio".into(),
                )
            }
            SpeechError::InvalidText(_) => engine(400, "BAD_USER_INPUT", err.to_string()),
            SpeechError::Busy => Self::Engine {
                status: 429,
                code: "RATE_LIMITED",
                message: err.to_string(),
                retry_after: Some(2),
            },
            SpeechError::Timeout { .. } | SpeechError::Failed { .. } => {
                Self::App(AppError::internal(err.to_string()))
            }
        }
    }
}

/// `?rate=` of the audio endpoints: `slow` or `normal` (the default).
pub(crate) fn words_per_minute(rate: Option<&str>) -> AppResult<u32> {
    match rate {
        None | Some("normal") => Ok(NORMAL_WPM),
        Some("slow") => Ok(SLOW_WPM),
        Some(_) => Err(AppError::bad_input("rate", "`slow` or `normal`")),
    }
}

/// `GET /media/tts/{wordId}.wav`: the word said by espeak-ng, cached on disk after the first
/// request.
pub async fn word_audio(
    platform: &Platform,
    runtime: &LiteracyRuntime,
    word_id: &str,
    rate: Option<&str>,
) -> Result<Vec<u8>, MediaError> {
    let wpm = words_per_minute(rate)?;
    let id = decode_word(word_id)?;
    let word = levels::word(&platform.db, id).await?;
    cached(runtime, &format!("{id}-{wpm}.wav"), &word.text, wpm).await
}

/// `GET /media/say/{text}.wav`: any one word said by espeak-ng (the analysis screen's audio).
pub async fn text_audio(
    runtime: &LiteracyRuntime,
    text: &str,
    rate: Option<&str>,
) -> Result<Vec<u8>, MediaError> {
    let wpm = words_per_minute(rate)?;
    let text = lexicon::check_word(text, "text")?.to_lowercase();
    // Names in the cache are hex, so no input reaches the file system as a path.
    let key: String = text.bytes().map(|b| format!("{b:02x}")).collect();
    cached(runtime, &format!("say-{key}-{wpm}.wav"), &text, wpm).await
}

async fn cached(
    runtime: &LiteracyRuntime,
    name: &str,
    text: &str,
    wpm: u32,
) -> Result<Vec<u8>, MediaError> {
    let path = runtime.media_dir.join("tts").join(name);
    if let Ok(audio) = tokio::fs::read(&path).await {
        return Ok(audio);
    }
    let audio = runtime.speech.synthesize(text, wpm).await?;
    // Written under a unique name, then renamed: a concurrent reader never sees half a file.
    let write = async {
        let dir = runtime.media_dir.join("tts");
        tokio::fs::create_dir_all(&dir).await?;
        let partial = dir.join(format!(".{}.{name}", Uuid::now_v7()));
        tokio::fs::write(&partial, &audio).await?;
        tokio::fs::rename(&partial, &path).await
    };
    if let Err(err) = write.await {
        tracing::warn!(error = %err, path = %path.display(), "word audio not cached");
    }
    Ok(audio)
}

fn decode_word(raw: &str) -> AppResult<Uuid> {
    ids::decode(&async_graphql::ID(raw.to_owned()), WORD_TYPE, "wordId")
}

/// `POST /media/practice/{wordId}`: recognises the recording offline and scores it like
/// `practiceWord`; returns the same result.
pub async fn practice_recording(
    platform: &Platform,
    runtime: &LiteracyRuntime,
    user: Uuid,
    word_id: &str,
    audio: &[u8],
) -> Result<serde_json::Value, MediaError> {
    let id = decode_word(word_id)?;
    // Refuse a word the learner may not practise before spending a recognition on it.
    let word = levels::word(&platform.db, id).await?;
    let level = levels::find(&platform.db, word.level_id).await?;
    if let Some(place) = levels::learner_if_any(&platform.db, user).await? {
        levels::require_unlocked(&place, &level)?;
    } else if level.number > 1 {
        return Err(AppError::Forbidden(format!(
            "level {} is locked: pass the mock test of level 1 first",
            level.number
        ))
        .into());
    }
    let recognized = runtime.speech.recognize(audio).await?;
    let answer = practice::Answer {
        heard: recognized.phones,
        transcript: None,
        source: agora_entities::literacy::attempt::Source::Recording,
        duration_ms: (recognized.seconds * 1000.0).round() as i32,
    };
    let outcome = practice::practice(platform, user, id, answer).await?;
    Ok(PracticeResult::new(outcome).to_json())
}
