//! `sensors.revision`: bumped by every ingest transaction that stores readings of the sensor.
//!
//! A replica keeps each sensor's anomaly window (its newest readings of the last 24 hours) in
//! memory between ingests instead of reading up to 1,440 rows back every time. The revision
//! tells it whether the copy is still whole: it uses the copy only while the revision it
//! recorded is the one stored, so a write by another replica (or a back-fill) makes it read the
//! window from the database again. Existing sensors start at 0, like a cold cache.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Sensors::Table)
                    .add_column(big_integer(Sensors::Revision).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Sensors::Table)
                    .drop_column(Sensors::Revision)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Sensors {
    Table,
    Revision,
}
