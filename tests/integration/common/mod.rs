//! The test kit: everything test modules share. Test modules import from here, never from
//! each other; a builder two modules need moves here, into the file of its domain.
//!
//! - `server`: a real `agora` server on a free port, over a fresh database (a temporary SQLite
//!   file, or a fresh PostgreSQL schema when `AGORA_TEST_DATABASE_URL` is set) and the
//!   in-process bus (or Redis under a fresh key prefix when `AGORA_TEST_REDIS_URL` is set), and
//!   the client calls (`gql`, `gql_as`, `register`, `role_tokens`, ...).
//! - `db`: the fresh databases, and `postgres_and_redis` for tests that need both.
//! - `assert`: `assert_code!`, `assert_no_errors`, `error_code`.
//! - `snapshot`: `assert_body_snapshot!`, insta snapshots of whole bodies, redacted.
//! - `infra`: a private PostgreSQL and Redis, a network-cutting proxy and a replica that is
//!   the real binary, for the fault suite.
//! - `ws`: a GraphQL WebSocket client for both subprotocols.
//! - `clock`: servers on a manual clock (`clocked`, `monday_morning`).
//! - `outbox`: emitting events as another domain would, and reading the ones written.
//! - `users`, `knowledge`, `battle`, `sensors`: builders of each domain's data.
//! - The attack corpus lives in the `agora-testkit` crate (`agora_testkit::corpus`), shared with
//!   `agora-bench`.

pub mod assert;
pub mod battle;
pub mod clock;
pub mod db;
pub mod infra;
pub mod knowledge;
pub mod outbox;
pub mod sensors;
pub mod server;
pub mod snapshot;
pub mod users;
pub mod ws;

pub(crate) use assert::{assert_code, assert_no_errors, error_code};
pub use db::{TestDb, postgres_and_redis};
pub use server::{RoleTokens, ServerOptions, TestServer, multipart};
pub(crate) use snapshot::assert_body_snapshot;
