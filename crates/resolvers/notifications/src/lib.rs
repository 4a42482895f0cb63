//! Notifications: the in-app feed, its live stream on `user:{id}`, e-mail and push, and each
//! user's choice of which kinds reach them where.
//!
//! Listens to `USER_REGISTERED` (identity), `LEVEL_UP`, `ACHIEVEMENT_UNLOCKED`,
//! `STREAK_AT_RISK` (gamification), `FLASHCARDS_DUE` (learning), `SUBMISSION_REVIEWED`
//! (community) and `SENSOR_ALERT` (sensors), reading the payloads `agora_events` shares with
//! their emitters; words each with the templates of [`service::sources`]; stores it in the feed
//! once per source and emits `NOTIFICATION_CREATED`, which three handlers deliver
//! independently: live (`user:{id}`), e-mail (`Platform::mail`) and push (`Platform::push`).
//! Reads users only through `agora_identity::api`.
//!
//! - [`service`]: the rules as plain async functions ([`service::sources`],
//!   [`service::feed`], [`service::preferences`], [`service::delivery`]).
//! - [`events`]: the events consumed and emitted, the live message, the outbox handlers.
//! - [`types`]: GraphQL types; [`api`]: look-ups for `node(id:)`.
#![warn(missing_docs, unreachable_pub)]

pub mod api;
pub(crate) mod events;
mod mutation;
mod query;
pub(crate) mod service;
mod settings;
mod subscription;
pub(crate) mod types;

pub use mutation::NotificationsMutation;
pub use query::NotificationsQuery;
pub use settings::NotificationsSettings;
pub use subscription::NotificationsSubscription;
