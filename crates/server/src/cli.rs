//! The `agora` command line.

use std::path::PathBuf;

use agora_platform::config::Config;
use clap::{Parser, Subcommand};

/// Agora: one GraphQL API for a live learning platform.
#[derive(Debug, Parser)]
#[command(name = "agora", version, about)]
pub struct Cli {
    /// Configuration (every flag also reads an environment variable).
    #[command(flatten)]
    pub config: Config,
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
    /// Trusted documents (persisted operations) for partners.
    Persisted {
        /// What to do.
        #[command(subcommand)]
        action: PersistedAction,
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
