//! Battle room queries.

use std::sync::Arc;

use agora_knowledge::api::TOPIC_TYPE;
use agora_platform::{
    context::ContextExt,
    ids,
    pagination::{Page, PageRequest, TimeCursor},
};
use async_graphql::{Context, ID, Object, Result, connection::Connection};

use crate::{
    service::{rooms, view},
    types::{BATTLE_ROOM_TYPE, BattleRoom},
};

/// Battle rooms' query root.
#[derive(Default)]
pub struct BattleQuery;

/// Battle rooms' query root.
#[Object]
impl BattleQuery {
    /// A room (signed-in users; a private room only for its players); null when unknown.
    async fn battle_room(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The room's global id.")] id: ID,
    ) -> Result<Option<BattleRoom>> {
        let viewer = ctx.viewer().require_user()?;
        let id = ids::decode(&id, BATTLE_ROOM_TYPE, "id")?;
        Ok(rooms::visible(ctx.platform()?, viewer, id)
            .await?
            .map(|room| BattleRoom(Arc::new(room))))
    }

    /// Rooms you played in or are in, newest first.
    async fn my_battles(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many from the start.")] first: Option<i32>,
        #[graphql(desc = "Start after this cursor (a page's `endCursor`).")] after: Option<String>,
        #[graphql(desc = "At most this many from the end.")] last: Option<i32>,
        #[graphql(desc = "End before this cursor (a page's `startCursor`).")] before: Option<
            String,
        >,
    ) -> Result<Option<Connection<String, BattleRoom>>> {
        let page = PageRequest::<TimeCursor>::from_args(first, after, last, before)?;
        let viewer = ctx.viewer().require_user()?;
        let platform = ctx.platform()?;
        let page = rooms::mine(platform, viewer, &page).await?;
        let (cursors, models): (Vec<String>, Vec<_>) = page.rows.into_iter().unzip();
        let views = view::load_many(&platform.db, &models).await?;
        let page = Page {
            rows: cursors.into_iter().zip(views).collect(),
            has_previous: page.has_previous,
            has_next: page.has_next,
        };
        Ok(Some(
            page.into_connection(|room| BattleRoom(Arc::new(room))),
        ))
    }

    /// Public lobbies waiting for players, newest first (at most 50), optionally of one topic.
    async fn open_battle_rooms(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The topic's global id, if any.")] topic_id: Option<ID>,
    ) -> Result<Vec<BattleRoom>> {
        ctx.viewer().require_user()?;
        let topic_id = topic_id
            .map(|t| ids::decode(&t, TOPIC_TYPE, "topicId"))
            .transpose()?;
        let platform = ctx.platform()?;
        let rooms = rooms::open_rooms(platform, topic_id).await?;
        Ok(view::load_many(&platform.db, &rooms)
            .await?
            .into_iter()
            .map(|room| BattleRoom(Arc::new(room)))
            .collect())
    }
}
