//! The `agora` command line.

use std::path::PathBuf;

use agora_platform::config::Config;
use agora_schema::DomainSettings;
use clap::{Args, Parser, Subcommand};

/// Everything `agora` reads from flags or the environment: the platform's settings and each
/// domain's own (every flag also reads an environment variable).
#[derive(Debug, Clone, Args)]
pub struct AgoraConfig {
    /// The platform's settings, in groups.
    #[command(flatten)]
    pub platform: Config,
    /// The settings that belong to one domain each.
    #[command(flatten)]
    pub domains: DomainSettings,
}

/// Agora: one GraphQL API for a live learning platform.
#[derive(Debug, Parser)]
#[command(name = "agora", version, about)]
pub struct Cli {
    /// Configuration (every flag also reads an environment variable).
    #[command(flatten)]
    pub config: AgoraConfig,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The `agora` subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP/WebSocket server.
    Serve {
        /// Load demo users and content before serving (idempotent).
        #[arg(long)]
        seed_demo: bool,
        /// Run pending migrations first (default: on for SQLite, off for PostgreSQL).
        #[arg(long, env = "AGORA_MIGRATE")]
        migrate: Option<bool>,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Load the demo data (idempotent).
    Seed,
    /// Write the GraphQL SDL (`-` for standard output).
    ExportSchema {
        /// Where to write it.
        #[arg(long, short, default_value = "schema.graphql")]
        output: PathBuf,
    },
    /// Import questions from a JSON or CSV file (all or nothing; `--dry-run` only checks).
    ImportQuestions {
        /// The file; its extension (`.json`, `.csv`) picks the format unless `--format` says.
        file: PathBuf,
        /// `json` or `csv`.
        #[arg(long, value_parser = ["json", "csv"])]
        format: Option<String>,
        /// Check every row, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Feed simulated air-quality readings to a running server through its API (a diurnal
    /// PM2.5 cycle, noise, spikes and one stuck sensor).
    SimulateSensors {
        /// The server's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// An admin's e-mail (registers the stations and their device keys).
        #[arg(long, default_value = "admin@agora.test")]
        email: String,
        /// That admin's password.
        #[arg(
            long,
            env = "AGORA_SIMULATOR_PASSWORD",
            default_value = "agora-admin-demo",
            hide_env_values = true
        )]
        password: String,
        /// How many stations to simulate.
        #[arg(long, default_value_t = 5)]
        stations: usize,
        /// Time between samples, e.g. `1s`, `500ms`, `1m`.
        #[arg(long, default_value = "1s", value_parser = humantime::parse_duration)]
        interval: std::time::Duration,
        /// Stop after this many rounds (default: run until interrupted).
        #[arg(long)]
        rounds: Option<u64>,
    },
    /// Leaderboard maintenance.
    Leaderboards {
        /// What to do.
        #[command(subcommand)]
        action: LeaderboardAction,
    },
    /// Literacy data tools.
    Literacy {
        /// What to do.
        #[command(subcommand)]
        action: LiteracyAction,
    },
    /// Trusted documents (persisted operations) for partners.
    Persisted {
        /// What to do.
        #[command(subcommand)]
        action: PersistedAction,
    },
    /// The outbox: events whose delivery failed, and putting them back in the queue.
    Outbox {
        /// What to do.
        #[command(subcommand)]
        action: OutboxAction,
    },
    /// Write a consistent copy of the embedded (SQLite) database to FILE, safe while the
    /// server runs. PostgreSQL: use pg_dump (docs/operations.md).
    Backup {
        /// The new file.
        file: PathBuf,
    },
    /// Replace the embedded (SQLite) database with a backup, after checking it; the current
    /// file is kept beside it. Stop the server first.
    Restore {
        /// The backup file.
        file: PathBuf,
        /// Restore although the database looks open (a server that crashed left its WAL file).
        #[arg(long)]
        force: bool,
    },
    /// Create an admin, or promote an existing account to admin and set its password.
    CreateAdmin {
        /// E-mail address.
        #[arg(long)]
        email: String,
        /// Password (same policy as registration).
        #[arg(long, env = "AGORA_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        /// Display name for a new account.
        #[arg(long)]
        display_name: Option<String>,
    },
}

/// `agora leaderboards ...`
#[derive(Debug, Subcommand)]
pub enum LeaderboardAction {
    /// Recompute every board's totals from the points ledger and replace the Redis boards.
    Rebuild,
}

/// `agora outbox ...`
#[derive(Debug, Subcommand)]
pub enum OutboxAction {
    /// List events in a status, oldest first.
    List {
        /// `parked`, `pending` or `done`.
        #[arg(long, default_value = "parked", value_parser = ["parked", "pending", "done"])]
        status: String,
        /// At most this many.
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u16).range(1..=100))]
        limit: u16,
    },
    /// Put a parked event back in the queue (its id as `outbox list` prints it).
    Replay {
        /// The event's id (a UUID, or the global id the API shows).
        id: String,
    },
}

/// `agora literacy ...`
#[derive(Debug, Subcommand)]
pub enum LiteracyAction {
    /// Convert WordNet 3.0 (Debian `wordnet-base`) into the definitions-and-synonyms fixture of
    /// the level words (`fixtures/literacy/wordnet.json`).
    ImportWordnet {
        /// The WordNet database directory.
        #[arg(long, default_value = "/usr/share/wordnet")]
        wordnet_dir: PathBuf,
        /// Where to write the fixture (`-` for standard output).
        #[arg(long, default_value = "fixtures/literacy/wordnet.json")]
        output: PathBuf,
    },
}

/// `agora persisted ...`
#[derive(Debug, Subcommand)]
pub enum PersistedAction {
    /// Import a manifest (Apollo `persisted-query-manifest.json` or GraphQL Codegen
    /// `persisted-documents.json`): every document is validated first; one invalid document
    /// imports nothing.
    Import {
        /// The manifest file.
        file: PathBuf,
        /// The client the documents belong to.
        #[arg(long, default_value = "default")]
        client_name: String,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every setting keeps its flag and variable wherever its group or domain puts it (the
    /// documentation and deployments name them).
    const SETTINGS: &[(&str, &str)] = &[
        ("bind", "AGORA_BIND"),
        ("database-url", "DATABASE_URL"),
        ("db-max-connections", "AGORA_DB_MAX_CONNECTIONS"),
        ("db-min-connections", "AGORA_DB_MIN_CONNECTIONS"),
        ("redis-url", "REDIS_URL"),
        ("redis-prefix", "AGORA_REDIS_PREFIX"),
        ("env", "AGORA_ENV"),
        ("jwt-secret", "AGORA_JWT_SECRET"),
        ("access-token-ttl", "AGORA_ACCESS_TOKEN_TTL"),
        ("refresh-token-ttl", "AGORA_REFRESH_TOKEN_TTL"),
        ("log-format", "AGORA_LOG_FORMAT"),
        ("public-url", "AGORA_PUBLIC_URL"),
        ("smtp-url", "SMTP_URL"),
        ("mail-from", "MAIL_FROM"),
        ("push-webhook-url", "PUSH_WEBHOOK_URL"),
        ("introspection", "AGORA_INTROSPECTION"),
        ("field-suggestions", "AGORA_FIELD_SUGGESTIONS"),
        ("max-body-bytes", "AGORA_MAX_BODY_BYTES"),
        ("max-depth", "AGORA_MAX_DEPTH"),
        ("max-complexity", "AGORA_MAX_COMPLEXITY"),
        ("max-recursion", "AGORA_MAX_RECURSION"),
        ("request-timeout", "AGORA_REQUEST_TIMEOUT"),
        ("execution-timeout", "AGORA_EXECUTION_TIMEOUT"),
        ("max-aliases", "AGORA_MAX_ALIASES"),
        ("max-directives", "AGORA_MAX_DIRECTIVES"),
        ("max-tokens", "AGORA_MAX_TOKENS"),
        ("max-document-bytes", "AGORA_MAX_DOCUMENT_BYTES"),
        ("max-batch", "AGORA_MAX_BATCH"),
        (
            "require-trusted-documents",
            "AGORA_REQUIRE_TRUSTED_DOCUMENTS",
        ),
        ("apq-cache-size", "AGORA_APQ_CACHE_SIZE"),
        ("apq-ttl", "AGORA_APQ_TTL"),
        ("rate-limit-ip", "AGORA_RATE_LIMIT_IP"),
        ("rate-limit-user", "AGORA_RATE_LIMIT_USER"),
        ("rate-limit-key", "AGORA_RATE_LIMIT_KEY"),
        ("rate-limit-auth", "AGORA_RATE_LIMIT_AUTH"),
        ("ws-connections-per-ip", "AGORA_WS_CONNECTIONS_PER_IP"),
        ("ws-init-timeout", "AGORA_WS_INIT_TIMEOUT"),
        ("ws-max-subscriptions", "AGORA_WS_MAX_SUBSCRIPTIONS"),
        ("ws-max-message-bytes", "AGORA_WS_MAX_MESSAGE_BYTES"),
        ("cors-origins", "AGORA_CORS_ORIGINS"),
        ("client-ip-header", "AGORA_CLIENT_IP_HEADER"),
        ("metrics-token", "AGORA_METRICS_TOKEN"),
        ("trusted-proxies", "AGORA_TRUSTED_PROXIES"),
        ("outbox-max-attempts", "AGORA_OUTBOX_MAX_ATTEMPTS"),
        ("outbox-batch", "AGORA_OUTBOX_BATCH"),
        ("outbox-workers", "AGORA_OUTBOX_WORKERS"),
        ("outbox-lease", "AGORA_OUTBOX_LEASE"),
        ("points-partitions", "AGORA_POINTS_PARTITIONS"),
        ("shutdown-timeout", "AGORA_SHUTDOWN_TIMEOUT"),
        ("max-in-flight", "AGORA_MAX_IN_FLIGHT"),
        ("request-queue", "AGORA_REQUEST_QUEUE"),
        ("request-queue-timeout", "AGORA_REQUEST_QUEUE_TIMEOUT"),
        ("battle-reveal-pause", "AGORA_BATTLE_REVEAL_PAUSE"),
        ("quick-match-wait", "AGORA_QUICK_MATCH_WAIT"),
        ("lobby-idle-timeout", "AGORA_LOBBY_IDLE_TIMEOUT"),
        ("ingest-max-age", "AGORA_INGEST_MAX_AGE"),
        ("export-max-range", "AGORA_EXPORT_MAX_RANGE"),
        ("export-max-per-user", "AGORA_EXPORT_MAX_PER_USER"),
        ("export-max-per-replica", "AGORA_EXPORT_MAX_PER_REPLICA"),
        ("export-chunk-rows", "AGORA_EXPORT_CHUNK_ROWS"),
        ("export-write-timeout", "AGORA_EXPORT_WRITE_TIMEOUT"),
        ("forecast-cache-size", "AGORA_FORECAST_CACHE_SIZE"),
        ("sensor-window-cache", "AGORA_SENSOR_WINDOW_CACHE"),
        (
            "literacy-mock-test-cooldown",
            "AGORA_LITERACY_MOCK_TEST_COOLDOWN",
        ),
        (
            "literacy-mock-test-duration",
            "AGORA_LITERACY_MOCK_TEST_DURATION",
        ),
        ("literacy-media-dir", "AGORA_LITERACY_MEDIA_DIR"),
        (
            "literacy-recognition-concurrency",
            "AGORA_LITERACY_RECOGNITION_CONCURRENCY",
        ),
        ("literacy-speech-timeout", "AGORA_LITERACY_SPEECH_TIMEOUT"),
        ("capture-allowed-hosts", "AGORA_CAPTURE_ALLOWED_HOSTS"),
        ("capture-fetch-timeout", "AGORA_CAPTURE_FETCH_TIMEOUT"),
        ("capture-max-page-bytes", "AGORA_CAPTURE_MAX_PAGE_BYTES"),
        ("capture-engine-timeout", "AGORA_CAPTURE_ENGINE_TIMEOUT"),
        (
            "capture-max-video-seconds",
            "AGORA_CAPTURE_MAX_VIDEO_SECONDS",
        ),
        ("llm-url", "AGORA_LLM_URL"),
        ("llm-model", "AGORA_LLM_MODEL"),
        ("llm-api-key", "AGORA_LLM_API_KEY"),
        ("llm-timeout", "AGORA_LLM_TIMEOUT"),
        ("llm-retries", "AGORA_LLM_RETRIES"),
    ];

    #[test]
    fn every_setting_keeps_its_flag_and_variable() {
        let command = Cli::command();
        command.clone().debug_assert();
        let mut found: Vec<(String, String)> = command
            .get_arguments()
            .filter_map(|arg| {
                let env = arg.get_env()?.to_str()?.to_owned();
                Some((arg.get_long()?.to_owned(), env))
            })
            .collect();
        found.sort();
        let mut expected: Vec<(String, String)> = SETTINGS
            .iter()
            .map(|(flag, env)| ((*flag).to_owned(), (*env).to_owned()))
            .collect();
        expected.sort();
        assert_eq!(found, expected);
    }

    #[test]
    fn domain_settings_parse_beside_the_platform_ones() {
        let config: AgoraConfig = agora_platform::config::parse_args([
            "--quick-match-wait",
            "5s",
            "--points-partitions",
            "4",
            "--max-depth",
            "9",
        ])
        .expect("parses");
        assert_eq!(
            config.domains.battle.quick_match_wait,
            std::time::Duration::from_secs(5)
        );
        assert_eq!(config.domains.gamification.points_partitions, 4);
        assert_eq!(config.platform.limits.max_depth, 9);
        let err = agora_platform::config::parse_args::<AgoraConfig>(["--points-partitions", "17"])
            .expect_err("out of range")
            .to_string();
        assert!(
            err.contains("--points-partitions") && err.contains("1..=16"),
            "{err}"
        );
    }
}
