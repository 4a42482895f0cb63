//! `stations`: where sensors stand, with the station's last computed AQI.

use sea_orm::entity::prelude::*;

/// A monitoring station.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "stations")]
pub struct Model {
    /// UUIDv7.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// WGS84 latitude, degrees.
    pub latitude: f64,
    /// WGS84 longitude, degrees.
    pub longitude: f64,
    /// City.
    pub city: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// `GENERIC`, `PURPLEAIR` or `AIRQO`.
    pub provider: String,
    /// Who registered it (null if that account is gone).
    pub owner_id: Option<Uuid>,
    /// The AQI as last computed on ingest.
    pub aqi_value: Option<i32>,
    /// Its category, e.g. `MODERATE`.
    pub aqi_category: Option<String>,
    /// The pollutant that set it, e.g. `PM25`.
    pub aqi_dominant: Option<String>,
    /// When it was computed.
    pub aqi_computed_at: Option<DateTimeUtc>,
    /// When it was registered.
    pub created_at: DateTimeUtc,
    /// When its details last changed.
    pub updated_at: DateTimeUtc,
}

/// Relations of `stations`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
