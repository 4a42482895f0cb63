//! Black-box tests: each starts the real server and talks HTTP and WebSocket to it.

mod api_keys;
mod attacks;
mod battle;
mod battle_lists;
mod bus;
mod common;
mod community;
mod exports;
mod gamification;
mod hardening;
mod knowledge;
mod learning;
mod literacy;
mod live_credentials;
mod migrations;
mod notifications;
mod outbox;
mod partner_api;
mod protocol;
mod replicas;
mod senders;
mod sensors;
mod server;
mod sessions;
mod subscriptions;
mod users;
