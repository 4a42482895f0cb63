//! `subscription notificationReceived`: your new notifications as they arrive.

use std::collections::{HashSet, VecDeque};

use agora_identity::api::user_channel;
use agora_platform::{bus::BusMessage, context::ContextExt};
use async_graphql::{Context, Result, Subscription};
use futures::{Stream, StreamExt};
use uuid::Uuid;

use crate::{events::LiveMessage, service::feed, types::Notification};

/// Notifications' subscription root.
#[derive(Default)]
pub struct NotificationsSubscription;

/// Most notifications re-read after a gap (older ones are in `notifications`).
const GAP_REPLAY: u64 = 50;
/// Ids remembered to skip repeats (a gap's re-read overlapping messages already sent).
const REMEMBERED: usize = 256;

/// The ids a subscriber has sent, newest [`REMEMBERED`] only.
#[derive(Default)]
struct Sent {
    order: VecDeque<Uuid>,
    ids: HashSet<Uuid>,
}

impl Sent {
    /// Records `id`; false when it was already sent.
    fn first_time(&mut self, id: Uuid) -> bool {
        if !self.ids.insert(id) {
            return false;
        }
        self.order.push_back(id);
        if self.order.len() > REMEMBERED
            && let Some(old) = self.order.pop_front()
        {
            self.ids.remove(&old);
        }
        true
    }
}

#[Subscription]
impl NotificationsSubscription {
    /// Each new notification of your feed as it is created (from any replica). After a
    /// connection hiccup the ones missed since you subscribed are sent again, oldest first.
    async fn notification_received(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = Result<Notification>>> {
        let user = ctx.viewer().require_user()?;
        let platform = ctx.platform()?.clone();
        let mut messages = platform.bus.subscribe(&user_channel(user)).await;
        let since = platform.clock.now();
        Ok(async_stream::stream! {
            let mut sent = Sent::default();
            while let Some(message) = messages.next().await {
                let ids = match message {
                    BusMessage::Event(body) => match serde_json::from_str::<LiveMessage>(&body) {
                        Ok(LiveMessage::NotificationReceived { notification_id }) => {
                            vec![notification_id]
                        }
                        Ok(LiveMessage::Other) => continue,
                        Err(e) => {
                            tracing::warn!(error = %e, "unreadable message on a user channel");
                            continue;
                        }
                    },
                    // Messages may be lost: re-read what arrived since the subscription began.
                    BusMessage::Gap => match feed::created_since(&platform.db, user, since, GAP_REPLAY).await {
                        Ok(rows) => rows.into_iter().map(|n| n.id).collect(),
                        Err(e) => {
                            yield Err(e.into());
                            continue;
                        }
                    },
                };
                for id in ids {
                    if !sent.first_time(id) {
                        continue;
                    }
                    match feed::find_own(&platform.db, user, id).await {
                        Ok(Some(row)) => yield Ok(Notification(row)),
                        Ok(None) => {}
                        Err(e) => yield Err(e.into()),
                    }
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_sent_once_and_the_memory_is_bounded() {
        let mut sent = Sent::default();
        let first = Uuid::now_v7();
        assert!(sent.first_time(first));
        assert!(!sent.first_time(first));
        for _ in 0..REMEMBERED {
            sent.first_time(Uuid::now_v7());
        }
        assert_eq!(sent.ids.len(), REMEMBERED);
        assert!(
            sent.first_time(first),
            "forgotten after {REMEMBERED} newer ones"
        );
    }
}
