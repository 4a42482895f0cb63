//! Air-quality sensors: stations, one sensor per measured parameter (with its latest reading),
//! the readings themselves, followers, alert rules and alerts.

use sea_orm_migration::{prelude::*, schema::*};

use crate::util::create_index;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Stations::Table)
                    .if_not_exists()
                    .col(pk_uuid(Stations::Id))
                    .col(string_len(Stations::Name, 200))
                    .col(double(Stations::Latitude))
                    .col(double(Stations::Longitude))
                    .col(string_len(Stations::City, 100))
                    .col(string_len(Stations::Country, 2))
                    .col(string_len(Stations::Provider, 16))
                    .col(uuid_null(Stations::OwnerId))
                    .col(integer_null(Stations::AqiValue))
                    .col(string_len_null(Stations::AqiCategory, 40))
                    .col(string_len_null(Stations::AqiDominant, 16))
                    .col(timestamp_with_time_zone_null(Stations::AqiComputedAt))
                    .col(timestamp_with_time_zone(Stations::CreatedAt))
                    .col(timestamp_with_time_zone(Stations::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Stations::Table, Stations::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // Radius and bounding-box searches narrow on latitude first (a band of the globe),
        // then filter longitude and the exact distance.
        create_index(
            manager,
            "idx_stations_position",
            Stations::Table,
            vec![Stations::Latitude, Stations::Longitude],
            false,
        )
        .await?;
        // The station list pages by `(created_at, id)`.
        create_index(
            manager,
            "idx_stations_created",
            Stations::Table,
            vec![Stations::CreatedAt, Stations::Id],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sensors::Table)
                    .if_not_exists()
                    .col(uuid(Sensors::StationId))
                    .col(string_len(Sensors::Parameter, 16))
                    .col(timestamp_with_time_zone(Sensors::FirstSeenAt))
                    .col(double(Sensors::LatestValue))
                    .col(timestamp_with_time_zone(Sensors::LatestObservedAt))
                    .col(boolean(Sensors::LatestAnomaly))
                    .col(boolean(Sensors::LatestStuck))
                    .primary_key(
                        Index::create()
                            .col(Sensors::StationId)
                            .col(Sensors::Parameter),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sensors::Table, Sensors::StationId)
                            .to(Stations::Table, Stations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // The primary key is the natural one, `(station, parameter, observed_at)`: it makes a
        // repeated reading a no-op (`ON CONFLICT DO NOTHING`) and it is the index every read
        // uses (series ranges, the anomaly window, the latest value), so readings carry no
        // surrogate id and no second index. No foreign key to `stations`: a per-row FK check
        // is a trigger call per reading on PostgreSQL, a large share of ingest cost, and
        // readings are only written by the ingest path, which checks the station, and only
        // deleted with their station, in the same transaction.
        manager
            .create_table(
                Table::create()
                    .table(Readings::Table)
                    .if_not_exists()
                    .col(uuid(Readings::StationId))
                    .col(string_len(Readings::Parameter, 16))
                    .col(timestamp_with_time_zone(Readings::ObservedAt))
                    .col(double(Readings::Value))
                    .col(boolean(Readings::Anomaly))
                    .col(boolean(Readings::Stuck))
                    .col(timestamp_with_time_zone(Readings::IngestedAt))
                    .primary_key(
                        Index::create()
                            .col(Readings::StationId)
                            .col(Readings::Parameter)
                            .col(Readings::ObservedAt),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StationFollowers::Table)
                    .if_not_exists()
                    .col(uuid(StationFollowers::StationId))
                    .col(uuid(StationFollowers::UserId))
                    .col(timestamp_with_time_zone(StationFollowers::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(StationFollowers::StationId)
                            .col(StationFollowers::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(StationFollowers::Table, StationFollowers::StationId)
                            .to(Stations::Table, Stations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(StationFollowers::Table, StationFollowers::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // "Stations I follow".
        create_index(
            manager,
            "idx_station_followers_user",
            StationFollowers::Table,
            vec![StationFollowers::UserId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(AlertRules::Table)
                    .if_not_exists()
                    .col(pk_uuid(AlertRules::Id))
                    .col(uuid(AlertRules::StationId))
                    .col(string_len_null(AlertRules::Parameter, 16))
                    .col(double_null(AlertRules::Threshold))
                    .col(string_len_null(AlertRules::AqiCategory, 40))
                    .col(integer(AlertRules::ForMinutes))
                    .col(string_len(AlertRules::State, 16))
                    .col(timestamp_with_time_zone_null(AlertRules::PendingSince))
                    .col(timestamp_with_time_zone_null(AlertRules::ClearingSince))
                    .col(uuid_null(AlertRules::ActiveAlertId))
                    .col(uuid_null(AlertRules::CreatedBy))
                    .col(timestamp_with_time_zone(AlertRules::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AlertRules::Table, AlertRules::StationId)
                            .to(Stations::Table, Stations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(AlertRules::Table, AlertRules::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // Every ingest batch loads the rules of its station.
        create_index(
            manager,
            "idx_alert_rules_station",
            AlertRules::Table,
            vec![AlertRules::StationId],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Alerts::Table)
                    .if_not_exists()
                    .col(pk_uuid(Alerts::Id))
                    .col(uuid(Alerts::RuleId))
                    .col(uuid(Alerts::StationId))
                    .col(string_len(Alerts::Condition, 200))
                    .col(double(Alerts::Value))
                    .col(timestamp_with_time_zone(Alerts::StartedAt))
                    .col(timestamp_with_time_zone_null(Alerts::ResolvedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Alerts::Table, Alerts::RuleId)
                            .to(AlertRules::Table, AlertRules::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Alerts::Table, Alerts::StationId)
                            .to(Stations::Table, Stations::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // A station's alert history, newest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_alerts_station")
                    .table(Alerts::Table)
                    .col(Alerts::StationId)
                    .col((Alerts::StartedAt, IndexOrder::Desc))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Alerts::Table.into_iden(),
            AlertRules::Table.into_iden(),
            StationFollowers::Table.into_iden(),
            Readings::Table.into_iden(),
            Sensors::Table.into_iden(),
            Stations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Stations {
    Table,
    Id,
    Name,
    Latitude,
    Longitude,
    City,
    Country,
    Provider,
    OwnerId,
    AqiValue,
    AqiCategory,
    AqiDominant,
    AqiComputedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Sensors {
    Table,
    StationId,
    Parameter,
    FirstSeenAt,
    LatestValue,
    LatestObservedAt,
    LatestAnomaly,
    LatestStuck,
}

#[derive(DeriveIden)]
enum Readings {
    Table,
    StationId,
    Parameter,
    ObservedAt,
    Value,
    Anomaly,
    Stuck,
    IngestedAt,
}

#[derive(DeriveIden)]
enum StationFollowers {
    Table,
    StationId,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AlertRules {
    Table,
    Id,
    StationId,
    Parameter,
    Threshold,
    AqiCategory,
    ForMinutes,
    State,
    PendingSince,
    ClearingSince,
    ActiveAlertId,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    RuleId,
    StationId,
    Condition,
    Value,
    StartedAt,
    ResolvedAt,
}
