//! `reading_hours`: the sum and count of each station's unflagged readings per parameter and
//! hour, kept by the ingest transaction. The AQI is recomputed on every ingest from the last 24
//! hourly means, and the forecast fits 28 days of them; both aggregated the raw readings (up to
//! 1,440 rows per parameter per day and station), so an ingest grew slower as the day filled.
//! From this table each reads at most one row per hour.
//!
//! `up` fills it from the readings already stored; `down` drops it (the readings are untouched).

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// It fills the table from the readings: all of it or none.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReadingHours::Table)
                    .col(uuid(ReadingHours::StationId))
                    .col(string_len(ReadingHours::Parameter, 16))
                    .col(big_integer(ReadingHours::Hour))
                    .col(double(ReadingHours::Total))
                    .col(big_integer(ReadingHours::Count))
                    .primary_key(
                        Index::create()
                            .col(ReadingHours::StationId)
                            .col(ReadingHours::Parameter)
                            .col(ReadingHours::Hour),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(ReadingHours::Table, ReadingHours::StationId)
                            .to(Stations::Table, Stations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // The hour as epoch seconds of its start, the same floor the readings' series use.
        let hour = match manager.get_database_backend() {
            DbBackend::Postgres => "(floor(extract(epoch from observed_at) / 3600) * 3600)::bigint",
            _ => "((CAST(strftime('%s', observed_at) AS INTEGER) / 3600) * 3600)",
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO reading_hours (station_id, parameter, hour, total, count) \
                 SELECT station_id, parameter, {hour}, SUM(value), COUNT(*) FROM readings \
                  WHERE NOT anomaly AND NOT stuck \
                    AND station_id IN (SELECT id FROM stations) \
                  GROUP BY station_id, parameter, {hour}"
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReadingHours::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ReadingHours {
    Table,
    StationId,
    Parameter,
    Hour,
    Total,
    Count,
}

#[derive(DeriveIden)]
enum Stations {
    Table,
    Id,
}
