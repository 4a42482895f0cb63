//! Alert rules with hysteresis, evaluated inside each ingest transaction.
//!
//! A threshold rule watches one parameter: it goes `PENDING` at the first unflagged reading at
//! or above the threshold, and `FIRING` once the condition has held for `forMinutes` (at once
//! when that is 0). A firing rule resolves only after readings have stayed below the threshold
//! less a 10 % band for `forMinutes`: a value hovering at the threshold fires once, not at every
//! wobble. An AQI rule works the same on the station's AQI against the lower bound of its
//! category, with a band of 10 AQI points. Firing opens an `Alert` and writes one
//! `SENSOR_ALERT` event per follower of the station.

use agora_entities::sensors::{
    alert,
    alert_rule::{self, State},
    station,
};
use agora_platform::{
    AppError, AppResult, Platform,
    auth::Viewer,
    outbox::{self, NewEvent},
    pagination::{Page, PageRequest, TimeCursor, fetch_time_page},
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, IntoActiveModel, Order, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::{find_station, ingest::Flagged, require_manager, stations};
use crate::{
    aqi::AqiCategory,
    events::{LiveAqi, SensorAlert},
    model::Pollutant,
    units,
};

/// The clearing band of threshold rules, as a share of the threshold.
pub(crate) const HYSTERESIS: f64 = 0.10;
/// The clearing band of AQI rules, in AQI points.
pub(crate) const AQI_HYSTERESIS: u32 = 10;
/// The longest hold a rule may ask for (a day).
pub(crate) const MAX_FOR_MINUTES: i32 = 1_440;
/// Most rules per station.
pub(crate) const MAX_RULES_PER_STATION: usize = 50;

/// What a new rule watches.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Condition {
    /// A parameter at or above a threshold (canonical unit).
    Threshold(Pollutant, f64),
    /// The station's AQI in this category or worse.
    Aqi(AqiCategory),
}

/// Creates a rule (admins and the station's owner).
pub(crate) async fn create_rule(
    platform: &Platform,
    viewer: &Viewer,
    station_id: Uuid,
    condition: Condition,
    for_minutes: i32,
) -> AppResult<alert_rule::Model> {
    let found = find_station(&platform.db, station_id).await?;
    let user = require_manager(viewer, &found)?;
    if !(0..=MAX_FOR_MINUTES).contains(&for_minutes) {
        return Err(AppError::bad_input(
            "input.forMinutes",
            format!("forMinutes must be 0 to {MAX_FOR_MINUTES}"),
        ));
    }
    let (parameter, threshold, category) = match condition {
        Condition::Threshold(parameter, threshold) => {
            let (low, high) = units::physical_range(parameter);
            if !threshold.is_finite() || threshold < low || threshold > high {
                return Err(AppError::bad_input(
                    "input.threshold",
                    format!(
                        "threshold must be within {low}–{high} {} for {}",
                        parameter.canonical_unit(),
                        parameter.as_str()
                    ),
                ));
            }
            (Some(parameter.as_str().to_owned()), Some(threshold), None)
        }
        Condition::Aqi(category) => (None, None, Some(category.as_str().to_owned())),
    };
    let existing = alert_rule::Entity::find()
        .filter(alert_rule::Column::StationId.eq(station_id))
        .all(&platform.db)
        .await?;
    if existing.len() >= MAX_RULES_PER_STATION {
        return Err(AppError::Conflict(format!(
            "a station holds at most {MAX_RULES_PER_STATION} alert rules"
        )));
    }
    Ok(alert_rule::ActiveModel {
        id: Set(Uuid::now_v7()),
        station_id: Set(station_id),
        parameter: Set(parameter),
        threshold: Set(threshold),
        aqi_category: Set(category),
        for_minutes: Set(for_minutes),
        state: Set(State::Ok),
        pending_since: Set(None),
        clearing_since: Set(None),
        active_alert_id: Set(None),
        created_by: Set(Some(user)),
        created_at: Set(platform.clock.now()),
    }
    .insert(&platform.db)
    .await?)
}

/// Deletes a rule (admins and the station's owner); its alerts go with it.
pub(crate) async fn delete_rule(
    platform: &Platform,
    viewer: &Viewer,
    rule_id: Uuid,
) -> AppResult<bool> {
    let Some(rule) = alert_rule::Entity::find_by_id(rule_id)
        .one(&platform.db)
        .await?
    else {
        return Err(AppError::NotFound("no such alert rule".into()));
    };
    let found = find_station(&platform.db, rule.station_id).await?;
    require_manager(viewer, &found)?;
    Ok(alert_rule::Entity::delete_by_id(rule_id)
        .exec(&platform.db)
        .await?
        .rows_affected
        > 0)
}

/// A station's rules, oldest first.
pub(crate) async fn rules<C: ConnectionTrait>(
    db: &C,
    station_id: Uuid,
) -> AppResult<Vec<alert_rule::Model>> {
    Ok(alert_rule::Entity::find()
        .filter(alert_rule::Column::StationId.eq(station_id))
        .order_by_asc(alert_rule::Column::CreatedAt)
        .all(db)
        .await?)
}

/// A page of a station's alerts, newest first.
pub(crate) async fn page<C: ConnectionTrait>(
    db: &C,
    station_id: Uuid,
    page: &PageRequest<TimeCursor>,
) -> AppResult<Page<alert::Model>> {
    fetch_time_page(
        db,
        alert::Entity::find().filter(alert::Column::StationId.eq(station_id)),
        (alert::Column::StartedAt, alert::Column::Id),
        Order::Desc,
        page,
        |a| TimeCursor {
            t: a.started_at,
            id: a.id,
        },
    )
    .await
}

/// The words of a rule's condition.
pub(crate) fn describe(rule: &alert_rule::Model) -> String {
    let hold = if rule.for_minutes > 0 {
        format!(" for {} min", rule.for_minutes)
    } else {
        String::new()
    };
    match (&rule.parameter, rule.threshold, &rule.aqi_category) {
        (Some(p), Some(t), _) => {
            let unit = Pollutant::unit_of(p);
            format!("{p} ≥ {t} {unit}{hold}")
        }
        (_, _, Some(c)) => {
            let name = AqiCategory::parse(c).map_or(c.as_str(), |c| c.name());
            format!("AQI {name} or worse{hold}")
        }
        _ => "unknown condition".to_owned(),
    }
}

/// One observation a rule judges: when, the value, whether the condition holds, whether it is
/// clear (below the band).
struct Observation {
    at: DateTime<Utc>,
    value: f64,
    holds: bool,
    clear: bool,
}

/// Runs the station's rules over the readings just stored and the new AQI; returns whether an
/// alert fired (outbox events were written).
pub(super) async fn evaluate(
    txn: &DatabaseTransaction,
    station: &station::Model,
    stored: &[Flagged],
    aqi: Option<&LiveAqi>,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let rules = rules(txn, station.id).await?;
    if rules.is_empty() {
        return Ok(false);
    }
    let mut fired = false;
    let mut followers: Option<Vec<Uuid>> = None;
    for rule in rules {
        let observations: Vec<Observation> =
            match (&rule.parameter, rule.threshold, &rule.aqi_category) {
                (Some(p), Some(threshold), _) => {
                    let mut obs: Vec<Observation> = stored
                        .iter()
                        .filter(|r| r.parameter.as_str() == p && !r.anomaly && !r.stuck)
                        .map(|r| Observation {
                            at: r.observed_at,
                            value: r.value,
                            holds: r.value >= threshold,
                            clear: r.value < threshold * (1.0 - HYSTERESIS),
                        })
                        .collect();
                    obs.sort_by_key(|o| o.at);
                    obs
                }
                (_, _, Some(category)) => match (aqi, AqiCategory::parse(category)) {
                    (Some(aqi), Some(category)) => {
                        let bound = category.lower_bound();
                        vec![Observation {
                            at: aqi.computed_at,
                            value: f64::from(aqi.value),
                            holds: aqi.value >= bound,
                            clear: aqi.value + AQI_HYSTERESIS < bound,
                        }]
                    }
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            };
        if observations.is_empty() {
            continue;
        }
        let hold = Duration::minutes(i64::from(rule.for_minutes));
        let description = describe(&rule);
        let mut current = rule.clone();
        let mut opened: Option<alert::Model> = None;
        for o in observations {
            match current.state {
                State::Firing => {
                    if o.clear {
                        let since = *current.clearing_since.get_or_insert(o.at);
                        if o.at - since >= hold {
                            if let Some(id) = current.active_alert_id {
                                alert::Entity::update_many()
                                    .col_expr(
                                        alert::Column::ResolvedAt,
                                        sea_orm::sea_query::Expr::value(o.at),
                                    )
                                    .filter(alert::Column::Id.eq(id))
                                    .exec(txn)
                                    .await?;
                            }
                            current.state = State::Ok;
                            current.pending_since = None;
                            current.clearing_since = None;
                            current.active_alert_id = None;
                        }
                    } else {
                        current.clearing_since = None;
                    }
                }
                _ if o.holds => {
                    let since = *current.pending_since.get_or_insert(o.at);
                    current.state = State::Pending;
                    if o.at - since >= hold {
                        let opened_alert = alert::ActiveModel {
                            id: Set(Uuid::now_v7()),
                            rule_id: Set(rule.id),
                            station_id: Set(station.id),
                            condition: Set(description.chars().take(200).collect()),
                            value: Set(o.value),
                            started_at: Set(o.at),
                            resolved_at: Set(None),
                        }
                        .insert(txn)
                        .await?;
                        current.state = State::Firing;
                        current.clearing_since = None;
                        current.active_alert_id = Some(opened_alert.id);
                        opened = Some(opened_alert);
                    }
                }
                _ => {
                    current.state = State::Ok;
                    current.pending_since = None;
                }
            }
        }
        if current != rule {
            let mut active = rule.clone().into_active_model();
            active.state = Set(current.state);
            active.pending_since = Set(current.pending_since);
            active.clearing_since = Set(current.clearing_since);
            active.active_alert_id = Set(current.active_alert_id);
            active.update(txn).await?;
        }
        if let Some(opened) = opened {
            if followers.is_none() {
                followers = Some(stations::followers(txn, station.id).await?);
            }
            let unit = rule
                .parameter
                .as_deref()
                .and_then(Pollutant::parse)
                .map_or("AQI".to_owned(), |p| p.canonical_unit().to_owned());
            let events = followers
                .as_deref()
                .unwrap_or_default()
                .iter()
                .map(|user| {
                    let alert = SensorAlert {
                        user_id: *user,
                        alert_id: opened.id,
                        station_id: station.id,
                        station_name: station.name.clone(),
                        condition: opened.condition.clone(),
                        value: format!("{} {unit}", opened.value),
                        started_at: opened.started_at,
                    };
                    NewEvent::of(opened.id, &alert)
                })
                .collect::<AppResult<Vec<_>>>()?;
            if !events.is_empty() {
                outbox::enqueue_many(txn, now, events).await?;
                fired = true;
            }
        }
    }
    Ok(fired)
}
