//! The dashboard: everything the signed-in learner's home page shows, in one round trip and a
//! fixed number of statements whatever their data's size. It owns no table: it reads the other
//! domains through their `api` (gamification's progress and daily ledger view, learning's next
//! session and review tallies, literacy's progress, battle's results and answer tallies,
//! knowledge's articles) and adds the recommendations ([`recommend`]).
#![warn(missing_docs, unreachable_pub)]

pub mod api;
mod query;
pub(crate) mod recommend;
pub(crate) mod types;

pub use query::DashboardQuery;
