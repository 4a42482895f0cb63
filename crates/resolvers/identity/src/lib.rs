//! Identity: accounts, roles, sessions with rotating refresh tokens, API keys, password reset and
//! e-mail verification.
//!
//! Emits `USER_REGISTERED`, `USER_SIGNED_IN` and `USER_UPDATED` through the outbox (payloads in
//! `agora_events::identity`); its own handler publishes `USER_UPDATED` on the `user:{id}`
//! channel, which feeds `viewerUpdated`. Listens to nothing else.
//! Other domains and the server use [`api`] (authentication, user look-ups), never the tables.
#![warn(missing_docs, unreachable_pub)]

pub mod api;
pub(crate) mod events;
pub(crate) mod loaders;
mod mutation;
mod query;
pub(crate) mod service;
mod subscription;
pub(crate) mod types;

pub use mutation::IdentityMutation;
pub use query::IdentityQuery;
pub use subscription::IdentitySubscription;
