//! The sensor domain's DataLoaders.

use std::collections::HashMap;

use agora_entities::sensors::sensor;
use agora_platform::{Platform, loader::LoadError};
use async_graphql::{Data, dataloader::Loader};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

/// A station's sensors (with their latest readings), by station id: one query for a whole page
/// of stations.
pub(crate) struct SensorsLoader(DatabaseConnection);

impl Loader<Uuid> for SensorsLoader {
    type Value = Vec<sensor::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Self::Value>, LoadError> {
        let rows = sensor::Entity::find()
            .filter(sensor::Column::StationId.is_in(keys.iter().copied()))
            .order_by_asc(sensor::Column::Parameter)
            .all(&self.0)
            .await
            .map_err(|e| format!("loading sensors: {e}"))?;
        let mut map: HashMap<Uuid, Self::Value> = HashMap::new();
        for row in rows {
            map.entry(row.station_id).or_default().push(row);
        }
        Ok(map)
    }
}

/// Adds the sensor domain's per-request DataLoaders to `data`.
pub(crate) fn insert(data: &mut Data, platform: &Platform) {
    data.insert(agora_platform::loader::batched(SensorsLoader(
        platform.db.clone(),
    )));
}
