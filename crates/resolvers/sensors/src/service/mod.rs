//! The sensor domain's rules as plain async functions over a database connection: stations,
//! ingestion, reading the data back (latest, series, exports), alerts and forecasts.

pub mod alerts;
pub mod ingest;
pub mod readings;
pub mod stations;

use agora_entities::sensors::station;
use agora_platform::{AppError, AppResult, auth::Viewer};
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

/// The station `id`, or `NOT_FOUND`.
pub async fn find_station<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<station::Model> {
    station::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("no such station".into()))
}

/// Whether `viewer` manages `station`: admins, and the user who registered it.
pub fn manages(viewer: &Viewer, station: &station::Model) -> bool {
    viewer.is_admin() || (station.owner_id.is_some() && viewer.user_id() == station.owner_id)
}

/// `FORBIDDEN` unless `viewer` manages `station` (`UNAUTHENTICATED` when anonymous).
pub fn require_manager(viewer: &Viewer, station: &station::Model) -> AppResult<Uuid> {
    let user = viewer.require_user()?;
    if manages(viewer, station) {
        Ok(user)
    } else {
        Err(AppError::Forbidden(
            "only admins and the station's owner may do this".into(),
        ))
    }
}
