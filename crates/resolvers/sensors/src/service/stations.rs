//! Stations: registration, edits, removal, device keys, followers and geographic search.

use agora_entities::sensors::{reading, station, station_follower};
use agora_platform::{
    AppError, AppResult, Platform,
    auth::{ApiScope, Role, Viewer},
    error::Violations,
    pagination::{Page, PageRequest, TimeCursor, fetch_time_page},
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter,
    sea_query::{Expr, ExprTrait as _},
};
use uuid::Uuid;

use super::{find_station, require_manager};
use crate::model::Provider;

/// Kilometres per degree of latitude (and of longitude at the equator), on the WGS84 mean
/// radius of 6,371.0 km.
pub(crate) const KM_PER_DEGREE: f64 = 111.194_93;
/// The widest radius search accepted, in km. Past this the flat-earth distance used in SQL
/// drifts by more than a percent.
pub(crate) const MAX_RADIUS_KM: f64 = 1_000.0;

/// What a new station needs.
#[derive(Debug, Clone)]
pub struct NewStation {
    /// Display name.
    pub name: String,
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
    /// City.
    pub city: String,
    /// ISO country code.
    pub country: String,
    /// Hardware provider.
    pub provider: Provider,
}

/// Changes to a station; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub(crate) struct StationChanges {
    /// New name.
    pub name: Option<String>,
    /// New latitude.
    pub latitude: Option<f64>,
    /// New longitude.
    pub longitude: Option<f64>,
    /// New city.
    pub city: Option<String>,
    /// New country code.
    pub country: Option<String>,
    /// New provider.
    pub provider: Option<Provider>,
}

fn text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(AppError::bad_input(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

fn latitude(field: &str, value: f64) -> AppResult<f64> {
    if !value.is_finite() || !(-90.0..=90.0).contains(&value) {
        return Err(AppError::bad_input(
            field,
            "latitude must be within -90 to 90",
        ));
    }
    Ok(value)
}

fn longitude(field: &str, value: f64) -> AppResult<f64> {
    if !value.is_finite() || !(-180.0..=180.0).contains(&value) {
        return Err(AppError::bad_input(
            field,
            "longitude must be within -180 to 180",
        ));
    }
    Ok(value)
}

fn country(field: &str, value: &str) -> AppResult<String> {
    let code = value.trim().to_ascii_uppercase();
    if code.len() != 2 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(AppError::bad_input(
            field,
            "country must be an ISO 3166-1 alpha-2 code such as KE or US",
        ));
    }
    Ok(code)
}

/// Registers a station (admins only); the admin becomes its owner.
pub async fn create(
    platform: &Platform,
    viewer: &Viewer,
    input: NewStation,
) -> AppResult<station::Model> {
    let owner = viewer.require_role(Role::Admin)?;
    let now = platform.clock.now();
    // Every problem at once, so a form can mark each field.
    let mut problems = Violations::default();
    let name = problems.check(text("input.name", &input.name, 200));
    let lat = problems.check(latitude("input.latitude", input.latitude));
    let lon = problems.check(longitude("input.longitude", input.longitude));
    let city = problems.check(text("input.city", &input.city, 100));
    let code = problems.check(country("input.country", &input.country));
    problems.finish()?;
    let (Some(name), Some(lat), Some(lon), Some(city), Some(code)) = (name, lat, lon, city, code)
    else {
        return Err(AppError::internal("a checked station field is missing"));
    };
    let model = station::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name),
        latitude: Set(lat),
        longitude: Set(lon),
        city: Set(city),
        country: Set(code),
        provider: Set(input.provider.as_str().to_owned()),
        owner_id: Set(Some(owner)),
        aqi_value: Set(None),
        aqi_category: Set(None),
        aqi_dominant: Set(None),
        aqi_computed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    Ok(model.insert(&platform.db).await?)
}

/// Edits a station (admins and its owner).
pub(crate) async fn update(
    platform: &Platform,
    viewer: &Viewer,
    id: Uuid,
    changes: StationChanges,
) -> AppResult<station::Model> {
    let found = find_station(&platform.db, id).await?;
    require_manager(viewer, &found)?;
    let mut model: station::ActiveModel = found.into();
    let mut problems = Violations::default();
    if let Some(name) = changes
        .name
        .and_then(|n| problems.check(text("input.name", &n, 200)))
    {
        model.name = Set(name);
    }
    if let Some(value) = changes
        .latitude
        .and_then(|v| problems.check(latitude("input.latitude", v)))
    {
        model.latitude = Set(value);
    }
    if let Some(value) = changes
        .longitude
        .and_then(|v| problems.check(longitude("input.longitude", v)))
    {
        model.longitude = Set(value);
    }
    if let Some(city) = changes
        .city
        .and_then(|c| problems.check(text("input.city", &c, 100)))
    {
        model.city = Set(city);
    }
    if let Some(code) = changes
        .country
        .and_then(|c| problems.check(country("input.country", &c)))
    {
        model.country = Set(code);
    }
    problems.finish()?;
    if let Some(provider) = changes.provider {
        model.provider = Set(provider.as_str().to_owned());
    }
    model.updated_at = Set(platform.clock.now());
    Ok(model.update(&platform.db).await?)
}

/// Removes a station with its readings, sensors, rules, alerts and followers (admins only).
pub(crate) async fn delete(platform: &Platform, viewer: &Viewer, id: Uuid) -> AppResult<bool> {
    viewer.require_role(Role::Admin)?;
    let txn = agora_platform::db::begin_write(&platform.db).await?;
    // Readings have no foreign key (see the migration), so they go first, explicitly.
    reading::Entity::delete_many()
        .filter(reading::Column::StationId.eq(id))
        .exec(&txn)
        .await?;
    let removed = station::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(removed.rows_affected > 0)
}

/// Creates a `SENSORS_WRITE` device key bound to the station (admins only).
pub(crate) async fn create_key(
    platform: &Platform,
    viewer: &Viewer,
    id: Uuid,
) -> AppResult<agora_identity::api::CreatedKey> {
    let admin = viewer.require_role(Role::Admin)?;
    let found = find_station(&platform.db, id).await?;
    let name = format!("device: {}", found.name);
    let name: String = name.chars().take(100).collect();
    agora_identity::api::create_api_key(
        platform,
        admin,
        Role::Admin,
        &name,
        &[ApiScope::SensorsWrite],
        Some(found.id),
    )
    .await
}

/// Follows a station: its alerts reach the user. Idempotent.
pub(crate) async fn follow(platform: &Platform, user: Uuid, id: Uuid) -> AppResult<station::Model> {
    let found = find_station(&platform.db, id).await?;
    station_follower::Entity::insert(station_follower::ActiveModel {
        station_id: Set(found.id),
        user_id: Set(user),
        created_at: Set(platform.clock.now()),
    })
    .on_conflict_do_nothing_on([
        station_follower::Column::StationId,
        station_follower::Column::UserId,
    ])
    .exec_without_returning(&platform.db)
    .await?;
    Ok(found)
}

/// Stops following a station. Idempotent.
pub(crate) async fn unfollow(
    platform: &Platform,
    user: Uuid,
    id: Uuid,
) -> AppResult<station::Model> {
    let found = find_station(&platform.db, id).await?;
    station_follower::Entity::delete_many()
        .filter(station_follower::Column::StationId.eq(id))
        .filter(station_follower::Column::UserId.eq(user))
        .exec(&platform.db)
        .await?;
    Ok(found)
}

/// Whether `user` follows the station.
pub(crate) async fn follows<C: ConnectionTrait>(db: &C, user: Uuid, id: Uuid) -> AppResult<bool> {
    Ok(station_follower::Entity::find()
        .filter(station_follower::Column::StationId.eq(id))
        .filter(station_follower::Column::UserId.eq(user))
        .count(db)
        .await?
        > 0)
}

/// The users following a station.
pub(crate) async fn followers<C: ConnectionTrait>(db: &C, id: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(station_follower::Entity::find()
        .filter(station_follower::Column::StationId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|f| f.user_id)
        .collect())
}

/// A circle on the globe.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Near {
    /// Centre latitude.
    pub latitude: f64,
    /// Centre longitude.
    pub longitude: f64,
    /// Radius, km.
    pub radius_km: f64,
}

/// A latitude/longitude box; `min_longitude > max_longitude` crosses the antimeridian.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BoundingBox {
    /// South edge.
    pub min_latitude: f64,
    /// West edge.
    pub min_longitude: f64,
    /// North edge.
    pub max_latitude: f64,
    /// East edge.
    pub max_longitude: f64,
}

fn longitude_between(min: f64, max: f64) -> Condition {
    let col = || Expr::col(station::Column::Longitude);
    if min <= max {
        Condition::all().add(col().gte(min)).add(col().lte(max))
    } else {
        Condition::any().add(col().gte(min)).add(col().lte(max))
    }
}

/// The condition for stations within `near`, in SQL both backends run: a latitude/longitude
/// box the index narrows on, then the equirectangular distance (flat-earth over the box, at the
/// centre's latitude; within 0.5 % of the great-circle distance under a few hundred km, and
/// using only arithmetic, which SQLite has without its optional math functions).
pub(crate) fn near_condition(near: Near) -> AppResult<Condition> {
    latitude("near.latitude", near.latitude)?;
    longitude("near.longitude", near.longitude)?;
    if !near.radius_km.is_finite() || near.radius_km <= 0.0 || near.radius_km > MAX_RADIUS_KM {
        return Err(AppError::bad_input(
            "near.radiusKm",
            format!("radiusKm must be more than 0 and at most {MAX_RADIUS_KM}"),
        ));
    }
    let dlat = near.radius_km / KM_PER_DEGREE;
    let cos = near.latitude.to_radians().cos().max(1e-6);
    let dlon = dlat / cos;
    let mut condition = Condition::all()
        .add(Expr::col(station::Column::Latitude).gte(near.latitude - dlat))
        .add(Expr::col(station::Column::Latitude).lte(near.latitude + dlat));
    if dlon < 180.0 {
        let wrap = |lon: f64| ((lon + 540.0) % 360.0) - 180.0;
        condition = condition.add(longitude_between(
            wrap(near.longitude - dlon),
            wrap(near.longitude + dlon),
        ));
        // Squared distance in degrees of latitude; the longitude difference is taken the
        // short way round only when the box does not cross the antimeridian (otherwise the box
        // alone decides, a slight over-inclusion at the seam).
        if near.longitude - dlon >= -180.0 && near.longitude + dlon <= 180.0 {
            let dx = Expr::col(station::Column::Longitude)
                .sub(near.longitude)
                .mul(cos);
            let dy = Expr::col(station::Column::Latitude).sub(near.latitude);
            condition = condition.add(dx.clone().mul(dx).add(dy.clone().mul(dy)).lte(dlat * dlat));
        }
    }
    Ok(condition)
}

/// The condition for stations inside `bbox`.
pub(crate) fn bbox_condition(bbox: BoundingBox) -> AppResult<Condition> {
    let south = latitude("bbox.minLatitude", bbox.min_latitude)?;
    let north = latitude("bbox.maxLatitude", bbox.max_latitude)?;
    let west = longitude("bbox.minLongitude", bbox.min_longitude)?;
    let east = longitude("bbox.maxLongitude", bbox.max_longitude)?;
    if south > north {
        return Err(AppError::bad_input(
            "bbox.minLatitude",
            "minLatitude must not be above maxLatitude",
        ));
    }
    Ok(Condition::all()
        .add(Expr::col(station::Column::Latitude).gte(south))
        .add(Expr::col(station::Column::Latitude).lte(north))
        .add(longitude_between(west, east)))
}

/// One page of stations, oldest first, within `near` and `bbox` when given.
pub(crate) async fn page<C: ConnectionTrait>(
    db: &C,
    near: Option<Near>,
    bbox: Option<BoundingBox>,
    page: &PageRequest<TimeCursor>,
) -> AppResult<Page<station::Model>> {
    let mut select = station::Entity::find();
    if let Some(near) = near {
        select = select.filter(near_condition(near)?);
    }
    if let Some(bbox) = bbox {
        select = select.filter(bbox_condition(bbox)?);
    }
    fetch_time_page(
        db,
        select,
        (station::Column::CreatedAt, station::Column::Id),
        Order::Asc,
        page,
        |s| TimeCursor {
            t: s.created_at,
            id: s.id,
        },
    )
    .await
}
