//! The sensor domain's rules as plain async functions over a database connection: stations,
//! ingestion, reading the data back (latest, series, exports and their caps), alerts and
//! forecasts (fitted once per station, parameter and hour), and the anomaly windows kept
//! between ingests.

pub(crate) mod alerts;
pub(crate) mod exports;
pub(crate) mod forecasts;
pub(crate) mod ingest;
pub(crate) mod readings;
pub(crate) mod stations;
pub(crate) mod windows;

use agora_entities::sensors::station;
use agora_platform::{AppError, AppResult, auth::Viewer};
use sea_orm::{ConnectionTrait, EntityTrait};
use uuid::Uuid;

/// The station `id`, or `NOT_FOUND`.
pub(crate) async fn find_station<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> AppResult<station::Model> {
    station::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound("no such station".into()))
}

/// Whether `viewer` manages `station`: admins, and the user who registered it.
pub(crate) fn manages(viewer: &Viewer, station: &station::Model) -> bool {
    viewer.is_admin() || (station.owner_id.is_some() && viewer.user_id() == station.owner_id)
}

/// `FORBIDDEN` unless `viewer` manages `station` (`UNAUTHENTICATED` when anonymous).
pub(crate) fn require_manager(viewer: &Viewer, station: &station::Model) -> AppResult<Uuid> {
    let user = viewer.require_user()?;
    if manages(viewer, station) {
        Ok(user)
    } else {
        Err(AppError::Forbidden(
            "only admins and the station's owner may do this".into(),
        ))
    }
}

/// A configured span in words for messages: whole days, hours or minutes where it is one, else
/// seconds (`30 days`, `1 hour`).
pub(crate) fn describe_span(span: std::time::Duration) -> String {
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match span.as_secs() {
        s if s >= 86_400 && s % 86_400 == 0 => plural(s / 86_400, "day"),
        s if s >= 3_600 && s % 3_600 == 0 => plural(s / 3_600, "hour"),
        s if s >= 60 && s % 60 == 0 => plural(s / 60, "minute"),
        s => plural(s, "second"),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn spans_are_described_in_their_largest_whole_unit() {
        let described = [86_400 * 31, 86_400, 7_200, 90 * 60, 45]
            .map(|s| super::describe_span(Duration::from_secs(s)));
        assert_eq!(
            described,
            ["31 days", "1 day", "2 hours", "90 minutes", "45 seconds"]
        );
    }
}
