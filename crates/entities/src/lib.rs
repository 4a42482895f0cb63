//! SeaORM entities of every Agora domain: one module per domain, one table per file.
//!
//! These types mirror the tables created by the `agora-migration` crate and nothing else:
//! no business rules and no GraphQL derives live here (entities are not the API; each domain
//! crate maps them to its own GraphQL types). Status-like columns are `DeriveActiveEnum`s
//! stored as text; a domain mirrors one as a GraphQL enum with `#[graphql(remote = ...)]`.
#![warn(missing_docs)]

pub mod battle;
pub mod community;
pub mod gamification;
pub mod identity;
pub mod knowledge;
pub mod learning;
pub mod literacy;
pub mod notifications;
pub mod platform;
pub mod sensors;
