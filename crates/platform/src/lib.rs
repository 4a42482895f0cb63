//! What every Agora domain needs, kept small and boring.
//!
//! - [`config`]: the `agora` configuration, from flags and environment.
//! - [`db`]: the SeaORM connection for SQLite (embedded) or PostgreSQL (production).
//! - [`bus`]: the live-event bus; in-process or Redis pub/sub with one connection per process.
//! - [`outbox`]: the transactional outbox and its dispatcher.
//! - [`schedule`]: jobs run once per period across replicas.
//! - [`auth`]: viewers, roles, JWT access tokens, argon2id passwords, random secrets.
//! - [`error`]: [`AppError`], the one error type clients see, with `extensions.code`.
//! - [`pagination`]: Relay connection arguments and keyset cursors; [`ids`]: global ids.
//! - [`loader`]: DataLoader construction with a tuned batch delay.
//! - [`clock`]: the time source, which tests control.
//! - [`csv_cell`]: CSV cells a spreadsheet shows as text, never runs as a formula.
//! - [`engine`]: external programs (ffmpeg, PocketSphinx, Tesseract) run with a time limit.
//! - [`mail`]: the outgoing-mail trait, its development implementation and the SMTP sender.
//! - [`push`]: the outgoing-push trait, its development implementation and the webhook sender.
//! - [`ratelimit`]: token-bucket request limits, in process or shared through Redis.
//! - [`context`]: [`Platform`], the handle to all of the above that resolvers receive.
#![warn(missing_docs, unreachable_pub)]

pub mod auth;
pub mod bus;
pub mod clock;
pub mod config;
pub mod context;
pub mod csv_cell;
pub mod db;
pub mod engine;
pub mod error;
pub mod ids;
pub mod loader;
pub mod mail;
pub mod outbox;
pub mod pagination;
pub mod push;
pub mod ratelimit;
pub mod schedule;

pub use context::Platform;
pub use error::{AppError, AppResult, ErrorCode};
