//! Sensor mutations: stations, device keys, ingestion, following, alert rules.

use agora_identity::api::{ApiKey, CreatedApiKey};
use agora_platform::{AppError, context::ContextExt, ids};
use async_graphql::{Context, ID, Object, Result};

use crate::{
    api::SensorsRuntime,
    service::{alerts, ingest, stations},
    types::{
        ALERT_RULE_TYPE, AlertRule, CreateAlertRuleInput, CreateStationInput, IngestReport,
        ReadingInput, STATION_TYPE, Station, UpdateStationInput,
    },
};

/// The sensor domain's mutation root.
#[derive(Default)]
pub struct SensorsMutation;

/// The sensor domain's mutation root.
#[Object]
impl SensorsMutation {
    /// Registers a station (admins); you become its owner.
    async fn create_station(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new station: its name, coordinates, city, country and provider.")]
        input: CreateStationInput,
    ) -> Result<Station> {
        let created = stations::create(
            ctx.platform()?,
            ctx.viewer(),
            stations::NewStation {
                name: input.name,
                latitude: input.latitude,
                longitude: input.longitude,
                city: input.city,
                country: input.country,
                provider: input.provider,
            },
        )
        .await?;
        Ok(Station(created))
    }

    /// Edits a station (admins and its owner).
    async fn update_station(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The station's global id and its new name, coordinates, city, country or provider."
        )]
        input: UpdateStationInput,
    ) -> Result<Station> {
        let id = ids::decode(&input.id, STATION_TYPE, "input.id")?;
        let updated = stations::update(
            ctx.platform()?,
            ctx.viewer(),
            id,
            stations::StationChanges {
                name: input.name,
                latitude: input.latitude,
                longitude: input.longitude,
                city: input.city,
                country: input.country,
                provider: input.provider,
            },
        )
        .await?;
        Ok(Station(updated))
    }

    /// Removes a station with all its readings (admins); returns its id (`NOT_FOUND` when it
    /// was already gone).
    async fn delete_station(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The station's global id.")] id: ID,
    ) -> Result<ID> {
        let id = ids::decode(&id, STATION_TYPE, "id")?;
        if !stations::delete(ctx.platform()?, ctx.viewer(), id).await? {
            return Err(AppError::NotFound("no such station".into()).into());
        }
        Ok(ids::encode(STATION_TYPE, id))
    }

    /// Creates a device key (`SENSORS_WRITE`) bound to the station (admins); its secret is in
    /// the answer and nowhere else.
    async fn create_station_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The station's global id.")] station_id: ID,
    ) -> Result<CreatedApiKey> {
        let id = ids::decode(&station_id, STATION_TYPE, "stationId")?;
        let created = stations::create_key(ctx.platform()?, ctx.viewer(), id).await?;
        Ok(CreatedApiKey {
            secret: created.secret,
            api_key: ApiKey(created.key),
        })
    }

    /// Stores up to 5,000 readings of a station, with the station's device key (`X-Api-Key`)
    /// or as an admin. Invalid readings are refused by index, the valid ones stored; a reading
    /// already stored counts as a duplicate and changes nothing. Readings observed more than
    /// `AGORA_INGEST_MAX_AGE` (default 30 days) ago are refused unless a signed-in admin sets
    /// `backfill`.
    async fn ingest_readings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The station's global id.")] station_id: ID,
        #[graphql(
            desc = "The readings, at most 5,000: each a parameter, value, unit and observation time."
        )]
        readings: Vec<ReadingInput>,
        #[graphql(
            desc = "Admit readings older than AGORA_INGEST_MAX_AGE (signed-in admins only; default false)."
        )]
        backfill: Option<bool>,
    ) -> Result<IngestReport> {
        let id = ids::decode(&station_id, STATION_TYPE, "stationId")?;
        ingest::authorize(ctx.viewer(), id)?;
        let runtime = ctx
            .data::<SensorsRuntime>()
            .map_err(|_| AppError::internal("SensorsRuntime missing from the schema data"))?;
        let admission = if backfill.unwrap_or(false) {
            ingest::authorize_backfill(ctx.viewer())?;
            ingest::Admission::Backfill
        } else {
            ingest::Admission::Live {
                max_age: runtime.settings.ingest_max_age,
            }
        };
        let drafts = readings
            .into_iter()
            .map(|r| ingest::ReadingDraft {
                parameter: r.parameter,
                value: r.value,
                unit: r.unit,
                observed_at: r.observed_at,
            })
            .collect();
        Ok(
            ingest::ingest_as(ctx.platform()?, &runtime.windows, id, drafts, admission)
                .await?
                .into(),
        )
    }

    /// Follows a station: its alerts reach you as notifications.
    async fn follow_station(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The station's global id.")] id: ID,
    ) -> Result<Station> {
        let user = ctx.viewer().require_user()?;
        let id = ids::decode(&id, STATION_TYPE, "id")?;
        Ok(Station(stations::follow(ctx.platform()?, user, id).await?))
    }

    /// Stops following a station.
    async fn unfollow_station(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The station's global id.")] id: ID,
    ) -> Result<Station> {
        let user = ctx.viewer().require_user()?;
        let id = ids::decode(&id, STATION_TYPE, "id")?;
        Ok(Station(
            stations::unfollow(ctx.platform()?, user, id).await?,
        ))
    }

    /// Creates an alert rule on a station (admins and its owner): a parameter at or above a
    /// threshold, or the AQI in a category or worse, held for `forMinutes`.
    async fn create_alert_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The new rule: its station, a parameter with a threshold or an AQI category, and how long it must hold."
        )]
        input: CreateAlertRuleInput,
    ) -> Result<AlertRule> {
        let id = ids::decode(&input.station_id, STATION_TYPE, "input.stationId")?;
        let condition = match (input.parameter, input.threshold, input.aqi_category) {
            (Some(p), Some(t), None) => alerts::Condition::Threshold(p, t),
            (None, None, Some(c)) => alerts::Condition::Aqi(c),
            _ => {
                return Err(AppError::bad_input(
                    "input",
                    "give `parameter` with `threshold`, or `aqiCategory` alone",
                )
                .into());
            }
        };
        let rule = alerts::create_rule(
            ctx.platform()?,
            ctx.viewer(),
            id,
            condition,
            input.for_minutes,
        )
        .await?;
        Ok(AlertRule(rule))
    }

    /// Deletes an alert rule (admins and the station's owner); returns its id (`NOT_FOUND`
    /// when it was already gone).
    async fn delete_alert_rule(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The alert rule's global id.")] id: ID,
    ) -> Result<ID> {
        let id = ids::decode(&id, ALERT_RULE_TYPE, "id")?;
        if !alerts::delete_rule(ctx.platform()?, ctx.viewer(), id).await? {
            return Err(AppError::NotFound("no such alert rule".into()).into());
        }
        Ok(ids::encode(ALERT_RULE_TYPE, id))
    }
}
