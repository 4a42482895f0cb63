//! `sensorReadings` and `stationAqi`: a station's live feed.

use std::collections::HashSet;

use agora_entities::sensors::reading;
use agora_platform::{bus::BusMessage, context::ContextExt, ids};
use async_graphql::{Context, ID, Result, Subscription};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::{
    events::{LiveMessage, channel},
    model::Pollutant,
    service::find_station,
    types::{Aqi, Reading, STATION_TYPE},
};

/// Most readings re-read after a gap in the live feed.
const GAP_REPLAY: u64 = 5_000;

/// The sensor domain's subscription root.
#[derive(Default)]
pub struct SensorsSubscription;

#[Subscription]
impl SensorsSubscription {
    /// Every reading the station stores from now on, in the order each batch was observed.
    /// After a connection hiccup, readings stored meanwhile are re-read and sent (none twice).
    async fn sensor_readings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The station's global id.")] station_id: ID,
    ) -> Result<impl Stream<Item = Result<Reading>>> {
        let id = ids::decode(&station_id, STATION_TYPE, "stationId")?;
        let platform = ctx.platform()?.clone();
        find_station(&platform.db, id).await?;
        let mut messages = platform.bus.subscribe(&channel(id)).await;
        let since = platform.clock.now();
        Ok(async_stream::stream! {
            // The newest (observedAt, parameter) sent: a gap's re-read starts after it.
            let mut last: Option<(DateTime<Utc>, Pollutant)> = None;
            // What the last gap's re-read sent. A reading committed before the re-read but
            // published after it (its publish waited out the outage) arrives live too, and
            // is not sent again.
            let mut replayed: HashSet<(DateTime<Utc>, Pollutant)> = HashSet::new();
            while let Some(message) = messages.next().await {
                let batch: Vec<Reading> = match message {
                    BusMessage::Event(body) => match serde_json::from_str::<LiveMessage>(&body) {
                        Ok(LiveMessage::Readings { readings }) => readings
                            .into_iter()
                            .map(Reading::from)
                            .filter(|r| !replayed.contains(&(r.observed_at, r.parameter)))
                            .collect(),
                        Ok(LiveMessage::Aqi { .. }) => continue,
                        Err(e) => {
                            tracing::warn!(error = %e, "unreadable message on a sensor channel");
                            continue;
                        }
                    },
                    BusMessage::Gap => {
                        let mut select = reading::Entity::find()
                            .filter(reading::Column::StationId.eq(id))
                            .filter(reading::Column::IngestedAt.gte(since));
                        if let Some((at, _)) = last {
                            select = select.filter(reading::Column::ObservedAt.gte(at));
                        }
                        match select
                            .order_by_asc(reading::Column::ObservedAt)
                            .order_by_asc(reading::Column::Parameter)
                            .limit(GAP_REPLAY)
                            .all(&platform.db)
                            .await
                        {
                            Ok(rows) => {
                                let again: Vec<Reading> = rows
                                    .into_iter()
                                    .filter_map(Reading::from_row)
                                    .filter(|r| {
                                        last.is_none_or(|l| (r.observed_at, r.parameter) > l)
                                    })
                                    .collect();
                                replayed = again.iter().map(|r| (r.observed_at, r.parameter)).collect();
                                again
                            }
                            Err(e) => {
                                yield Err(agora_platform::AppError::from(e).into());
                                continue;
                            }
                        }
                    }
                };
                for r in batch {
                    let key = (r.observed_at, r.parameter);
                    if last.is_none_or(|l| key > l) {
                        last = Some(key);
                    }
                    yield Ok(r);
                }
            }
        })
    }

    /// The station's AQI now (if it has one), then each time it changes.
    async fn station_aqi(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The station's global id.")] station_id: ID,
    ) -> Result<impl Stream<Item = Result<Aqi>>> {
        let id = ids::decode(&station_id, STATION_TYPE, "stationId")?;
        let platform = ctx.platform()?.clone();
        let mut messages = platform.bus.subscribe(&channel(id)).await;
        let station = find_station(&platform.db, id).await?;
        Ok(async_stream::stream! {
            let mut sent: Option<Aqi> = Aqi::of_station(&station);
            if let Some(current) = sent.clone() {
                yield Ok(current);
            }
            while let Some(message) = messages.next().await {
                let next = match message {
                    BusMessage::Event(body) => match serde_json::from_str::<LiveMessage>(&body) {
                        Ok(LiveMessage::Aqi { aqi }) => Some(Aqi::from(aqi)),
                        Ok(LiveMessage::Readings { .. }) => continue,
                        Err(e) => {
                            tracing::warn!(error = %e, "unreadable message on a sensor channel");
                            continue;
                        }
                    },
                    BusMessage::Gap => match find_station(&platform.db, id).await {
                        Ok(station) => Aqi::of_station(&station),
                        Err(e) => {
                            yield Err(e.into());
                            continue;
                        }
                    },
                };
                let Some(next) = next else { continue };
                let changed = sent.as_ref().is_none_or(|s| {
                    (s.value, s.category, s.dominant_pollutant)
                        != (next.value, next.category, next.dominant_pollutant)
                });
                if changed {
                    sent = Some(next.clone());
                    yield Ok(next);
                }
            }
        })
    }
}
