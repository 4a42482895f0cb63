//! Capture settings, flattened into the `agora` CLI.

use std::time::Duration;

/// How captured URLs are fetched and uploads read.
#[derive(Debug, Clone, clap::Args)]
pub struct CaptureSettings {
    /// Hosts a captured URL may reach although they resolve to private addresses (names or
    /// addresses, comma-separated; e.g. an intranet wiki). Empty: only public addresses.
    #[arg(
        long = "capture-allowed-hosts",
        env = "AGORA_CAPTURE_ALLOWED_HOSTS",
        value_delimiter = ',',
        global = true
    )]
    pub capture_allowed_hosts: Vec<String>,

    /// Time limit of fetching a captured URL, redirects included.
    #[arg(long = "capture-fetch-timeout", env = "AGORA_CAPTURE_FETCH_TIMEOUT",
          default_value = "10s", global = true,
          value_parser = agora_platform::config::parse_duration)]
    pub capture_fetch_timeout: Duration,

    /// Most bytes of a captured page read (the rest is left).
    #[arg(long = "capture-max-page-bytes", env = "AGORA_CAPTURE_MAX_PAGE_BYTES",
          default_value_t = 2 * 1024 * 1024, global = true)]
    pub capture_max_page_bytes: usize,

    /// Time limit of each OCR, audio extraction or transcription run.
    #[arg(long = "capture-engine-timeout", env = "AGORA_CAPTURE_ENGINE_TIMEOUT",
          default_value = "3m", global = true,
          value_parser = agora_platform::config::parse_duration)]
    pub capture_engine_timeout: Duration,

    /// Longest stretch of a captured video transcribed, in seconds (from its start).
    #[arg(long = "capture-max-video-seconds", env = "AGORA_CAPTURE_MAX_VIDEO_SECONDS",
          default_value_t = 300, global = true,
          value_parser = clap::value_parser!(u32).range(1..=3600))]
    pub capture_max_video_seconds: u32,
}
