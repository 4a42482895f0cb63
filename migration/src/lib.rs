//! Agora's schema migrations, in the order they were written. One file per change, written with
//! SeaQuery so each runs on PostgreSQL and SQLite; a landed migration is never edited, only
//! followed by a new one.
#![warn(missing_docs)]

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_create_outbox;
mod m20261126_000002_create_identity;
mod m20261126_000003_create_knowledge;
mod m20261126_000004_create_search_index;
mod m20261126_000005_create_community;
mod m20261126_000006_create_battle;
mod m20261126_000007_create_gamification;
mod m20261126_000008_create_notifications;
mod m20261126_000009_create_sensors;
mod m20261202_000010_create_persisted_operations;
mod m20261202_000011_add_api_key_usage;
mod m20261202_000012_create_learning;
mod m20261202_000013_add_outbox_pending_index;
mod m20261202_000014_lighten_award_writes;
mod m20261206_000015_fold_award_totals;
mod m20261207_000016_add_point_rule_daily_caps;
mod m20261207_000017_create_literacy;
mod m20261207_000018_add_reading_hours;
mod m20261207_000019_add_sensor_revision;
mod m20261207_000020_add_fsrs;
mod m20261207_000021_create_personal_topics;
mod m20261207_000022_create_captures;
mod m20261207_000023_add_monthly_board;
mod m20261207_000024_add_flashcard_tags;
mod util;

/// The ordered list of Agora migrations.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_outbox::Migration),
            Box::new(m20261126_000002_create_identity::Migration),
            Box::new(m20261126_000003_create_knowledge::Migration),
            Box::new(m20261126_000004_create_search_index::Migration),
            Box::new(m20261126_000005_create_community::Migration),
            Box::new(m20261126_000006_create_battle::Migration),
            Box::new(m20261126_000007_create_gamification::Migration),
            Box::new(m20261126_000008_create_notifications::Migration),
            Box::new(m20261126_000009_create_sensors::Migration),
            Box::new(m20261202_000010_create_persisted_operations::Migration),
            Box::new(m20261202_000011_add_api_key_usage::Migration),
            Box::new(m20261202_000012_create_learning::Migration),
            Box::new(m20261202_000013_add_outbox_pending_index::Migration),
            Box::new(m20261202_000014_lighten_award_writes::Migration),
            Box::new(m20261206_000015_fold_award_totals::Migration),
            Box::new(m20261207_000016_add_point_rule_daily_caps::Migration),
            Box::new(m20261207_000017_create_literacy::Migration),
            Box::new(m20261207_000018_add_reading_hours::Migration),
            Box::new(m20261207_000019_add_sensor_revision::Migration),
            Box::new(m20261207_000020_add_fsrs::Migration),
            Box::new(m20261207_000021_create_personal_topics::Migration),
            Box::new(m20261207_000022_create_captures::Migration),
            Box::new(m20261207_000023_add_monthly_board::Migration),
            Box::new(m20261207_000024_add_flashcard_tags::Migration),
        ]
    }
}
