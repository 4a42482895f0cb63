//! Battle rooms: timed multiple-choice battles played live over GraphQL subscriptions.
//!
//! Rooms, players, drawn questions, answers and the next deadline live in the database; the
//! [`driver`] (one replica at a time, by Redis lease) advances rooms at their deadlines, and
//! every change is published on the bus as the full room state (`battle:{roomId}`). Finishing writes `BATTLE_FINISHED` (`agora_events::BattleFinished`) to the outbox and
//! adds the answers to each question's statistics. Draws questions through
//! `agora_knowledge::api`; reads users through `agora_identity::api`.
#![warn(missing_docs, unreachable_pub)]

pub mod api;
pub(crate) mod driver;
pub(crate) mod events;
mod mutation;
mod query;
pub(crate) mod service;
mod settings;
mod subscription;
pub(crate) mod types;

pub use mutation::BattleMutation;
pub use query::BattleQuery;
pub use settings::BattleSettings;
pub use subscription::BattleSubscription;
