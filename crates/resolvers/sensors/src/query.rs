//! Sensor queries: stations by place, one station.

use agora_platform::{
    context::ContextExt,
    ids,
    pagination::{PageRequest, TimeCursor},
};
use async_graphql::{Context, ID, Object, Result, connection::Connection};

use crate::{
    service::stations,
    types::{BoundingBoxInput, NearInput, STATION_TYPE, Station},
};

/// The sensor domain's query root.
#[derive(Default)]
pub struct SensorsQuery;

/// The sensor domain's query root.
#[Object]
impl SensorsQuery {
    /// Stations, oldest first; within `near` (a radius) and/or `bbox` when given.
    #[graphql(
        complexity = "first.unwrap_or(20).max(last.unwrap_or(0)) as usize * child_complexity + 1"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn stations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only stations within this circle (radius up to 1,000 km).")] near: Option<
            NearInput,
        >,
        #[graphql(desc = "Only stations within this latitude and longitude box.")] bbox: Option<
            BoundingBoxInput,
        >,
        #[graphql(desc = "At most this many from the start.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a page's `endCursor`).")] after: Option<String>,
        #[graphql(desc = "At most this many from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor (a page's `startCursor`).")] before: Option<
            String,
        >,
    ) -> Result<Connection<String, Station>> {
        let page = PageRequest::<TimeCursor>::from_args(first, after, last, before)?;
        let page = stations::page(
            &ctx.platform()?.db,
            near.map(Into::into),
            bbox.map(Into::into),
            &page,
        )
        .await?;
        Ok(page.into_connection(Station))
    }

    /// One station; null when there is none.
    async fn station(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The station's global id.")] id: ID,
    ) -> Result<Option<Station>> {
        let id = ids::decode(&id, STATION_TYPE, "id")?;
        match crate::service::find_station(&ctx.platform()?.db, id).await {
            Ok(found) => Ok(Some(Station(found))),
            Err(agora_platform::AppError::NotFound(_)) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }
}
