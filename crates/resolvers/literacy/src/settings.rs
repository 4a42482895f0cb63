//! Literacy's settings, flattened into the `agora` CLI; the server puts them in the schema
//! data.

use std::{path::PathBuf, time::Duration};

use agora_platform::{AppError, AppResult};

/// Mock-test rules.
#[derive(Debug, Clone, clap::Args)]
pub struct LiteracySettings {
    /// After a failed or expired mock test, the next test of that level waits this long.
    #[arg(long = "literacy-mock-test-cooldown", env = "AGORA_LITERACY_MOCK_TEST_COOLDOWN",
          default_value = "10m", global = true,
          value_parser = agora_platform::config::parse_duration)]
    pub literacy_mock_test_cooldown: Duration,

    /// A mock test not finished within this time expires (unanswered words fail).
    #[arg(long = "literacy-mock-test-duration", env = "AGORA_LITERACY_MOCK_TEST_DURATION",
          default_value = "30m", global = true,
          value_parser = agora_platform::config::parse_duration)]
    pub literacy_mock_test_duration: Duration,

    /// Where synthesised word audio is cached (created on first use).
    #[arg(
        long = "literacy-media-dir",
        env = "AGORA_LITERACY_MEDIA_DIR",
        default_value = "media-cache",
        global = true
    )]
    pub literacy_media_dir: PathBuf,

    /// Recordings recognised at once on this replica; more wait up to 5 s, then `RATE_LIMITED`.
    #[arg(long = "literacy-recognition-concurrency",
          env = "AGORA_LITERACY_RECOGNITION_CONCURRENCY", default_value_t = 2, global = true,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub literacy_recognition_concurrency: u16,

    /// Time limit of one speech-engine run (synthesis, conversion or recognition).
    #[arg(long = "literacy-speech-timeout", env = "AGORA_LITERACY_SPEECH_TIMEOUT",
          default_value = "20s", global = true,
          value_parser = agora_platform::config::parse_duration)]
    pub literacy_speech_timeout: Duration,
}

impl LiteracySettings {
    /// The settings the server put in the schema data (`INTERNAL` if it forgot them).
    pub(crate) fn of<'a>(ctx: &async_graphql::Context<'a>) -> AppResult<&'a Self> {
        ctx.data::<Self>()
            .map_err(|_| AppError::internal("LiteracySettings missing from the schema data"))
    }

    /// [`Self::literacy_mock_test_cooldown`] on the database's clock.
    pub(crate) fn cooldown(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.literacy_mock_test_cooldown)
            .unwrap_or(chrono::Duration::minutes(10))
    }

    /// [`Self::literacy_mock_test_duration`] on the database's clock.
    pub(crate) fn test_duration(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.literacy_mock_test_duration)
            .unwrap_or(chrono::Duration::minutes(30))
    }
}
