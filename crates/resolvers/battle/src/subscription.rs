//! `subscription battleRoom(roomId)`: a SNAPSHOT first, then every change of the room.

use std::sync::Arc;

use agora_platform::{
    AppError, Platform, bus::BusMessage, context::ContextExt, db::begin_write, ids,
};
use async_graphql::{Context, ID, Result, Subscription};
use futures::{Stream, StreamExt};
use uuid::Uuid;

use crate::{
    BattleSettings,
    service::{BattleEventKind, BattleStatus, play, rooms, view},
    types::{BATTLE_ROOM_TYPE, BattleEvent, BattleRoom},
};

/// Battle rooms' subscription root.
#[derive(Default)]
pub struct BattleSubscription;

/// Counts the subscription in the player's presence while it lives.
struct Presence {
    platform: Platform,
    settings: BattleSettings,
    room: Uuid,
    user: Uuid,
}

impl Drop for Presence {
    fn drop(&mut self) {
        let (platform, settings) = (self.platform.clone(), self.settings.clone());
        let (room, user) = (self.room, self.user);
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                if let Err(e) = rooms::presence(&platform, &settings, room, user, -1).await {
                    tracing::warn!(%room, error = e.log_message(), "presence not updated");
                }
            });
        }
    }
}

/// The room's current state, read under the room lock: a change published (before its commit)
/// ahead of this subscriber's bus subscription is committed by the time the lock is ours, so
/// the snapshot includes it and no event falls between the two.
async fn snapshot(platform: &Platform, room: Uuid) -> Result<BattleEvent, AppError> {
    let txn = begin_write(&platform.db).await?;
    let model = play::lock_room(&txn, room).await?;
    let view = view::load(&txn, &model).await?;
    txn.commit().await?;
    Ok(BattleEvent {
        kind: BattleEventKind::Snapshot,
        room: BattleRoom(Arc::new(view)),
        reveal: None,
    })
}

#[Subscription]
impl BattleSubscription {
    /// The room live (players only): a SNAPSHOT first (so a reconnecting player resumes), then
    /// one event per change, each with the full room. Ends after FINISHED or CANCELLED, or
    /// once you are no longer in the room.
    async fn battle_room(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The room's global id.")] room_id: ID,
    ) -> Result<impl Stream<Item = Result<BattleEvent>>> {
        let user = ctx.viewer().require_user()?;
        let room = ids::decode(&room_id, BATTLE_ROOM_TYPE, "roomId")?;
        let platform = ctx.platform()?.clone();
        let settings = BattleSettings::of(ctx)?.clone();
        if rooms::find(&platform.db, room).await?.is_none() {
            return Err(AppError::NotFound("no such battle room".into()).into());
        }
        play::require_player(&platform.db, room, user).await?;
        // Subscribe before reading the snapshot, so nothing between the two is lost.
        let mut messages = platform.bus.subscribe(&view::channel(room)).await;
        rooms::presence(&platform, &settings, room, user, 1).await?;
        let presence = Presence {
            platform: platform.clone(),
            settings,
            room,
            user,
        };
        Ok(async_stream::stream! {
            let _presence = presence;
            let first = snapshot(&platform, room).await;
            let mut seen = match &first {
                Ok(event) => event.room.0.version,
                Err(_) => 0,
            };
            let ended = |event: &BattleEvent| {
                matches!(event.room.0.status, BattleStatus::Finished | BattleStatus::Cancelled)
                    || !event.room.0.has_player(user)
            };
            match first {
                Ok(event) => {
                    let done = ended(&event);
                    yield Ok(event);
                    if done {
                        return;
                    }
                }
                Err(e) => {
                    yield Err(e.into());
                    return;
                }
            }
            while let Some(message) = messages.next().await {
                let event = match message {
                    BusMessage::Gap => match snapshot(&platform, room).await {
                        Ok(event) => event,
                        Err(e) => {
                            yield Err(e.into());
                            return;
                        }
                    },
                    BusMessage::Event(body) => match serde_json::from_str::<view::EventView>(&body) {
                        // Older than what this subscriber already showed (a snapshot raced it).
                        Ok(e) if e.room.version < seen => continue,
                        Ok(e) => BattleEvent {
                            kind: e.kind,
                            room: BattleRoom(Arc::new(e.room)),
                            reveal: e.reveal.map(Arc::new),
                        },
                        Err(e) => {
                            tracing::error!(error = %e, "unreadable battle event");
                            continue;
                        }
                    },
                };
                seen = event.room.0.version;
                let done = ended(&event);
                yield Ok(event);
                if done {
                    return;
                }
            }
        })
    }
}
