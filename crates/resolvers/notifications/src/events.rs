//! Events notifications consume and emit, the live message they publish, and their outbox
//! handlers.
//!
//! Consumed (see [`crate::service::sources::SOURCES`]): `USER_REGISTERED`, `LEVEL_UP`,
//! `ACHIEVEMENT_UNLOCKED`, `STREAK_AT_RISK`, `FLASHCARDS_DUE`, `SUBMISSION_REVIEWED`,
//! `SENSOR_ALERT`. Handler `notifications.create` turns each into a feed row and ONE
//! [`NotificationCreated`] event in the same transaction; three handlers deliver that event,
//! each on its own channel, so a failing channel is retried without sending again on the others
//! (the outbox records each handler's delivery separately). Payloads are typed in
//! `agora_events`.

use agora_entities::platform::outbox_event;
use agora_events::EventKind;
pub(crate) use agora_events::NotificationCreated;
use agora_platform::{
    AppResult, Platform,
    outbox::{self, AfterCommit, OutboxHandler},
};
use async_trait::async_trait;
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::service::{delivery, sources};

/// What notifications publish on a `user:{id}` channel (which identity shares: its
/// `UserChannelMessage` ignores types it does not know, and so does this).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum LiveMessage {
    /// A notification reached the feed; the subscriber reads it by id.
    #[serde(rename_all = "camelCase")]
    NotificationReceived {
        /// The notification.
        notification_id: Uuid,
    },
    /// A message of another domain.
    #[serde(other)]
    Other,
}

/// `notifications.create`: source events → feed row + `NOTIFICATION_CREATED`.
pub(crate) struct CreateNotifications;

#[async_trait]
impl OutboxHandler for CreateNotifications {
    fn name(&self) -> &str {
        "notifications.create"
    }

    fn consumes(&self) -> &'static [EventKind] {
        &sources::CONSUMED
    }

    async fn handle_batch(
        &self,
        txn: &DatabaseTransaction,
        events: &[&outbox_event::Model],
        platform: &Platform,
    ) -> AppResult<AfterCommit> {
        delivery::create_from_events(txn, platform, events).await?;
        Ok(AfterCommit::default())
    }
}

/// The channel a delivery handler serves.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Delivery {
    /// `notifications.live`: publishes on `user:{id}`.
    Live,
    /// `notifications.email`: mails the user.
    Email,
    /// `notifications.push`: pushes to the user's devices.
    Push,
}

#[async_trait]
impl OutboxHandler for Delivery {
    fn name(&self) -> &str {
        match self {
            Self::Live => "notifications.live",
            Self::Email => "notifications.email",
            Self::Push => "notifications.push",
        }
    }

    fn consumes(&self) -> &'static [EventKind] {
        &[EventKind::NotificationCreated]
    }

    /// Reads the batch's preferences (and addresses) once; sends one message each. A failed
    /// send fails the batch, which the dispatcher then retries event by event: messages sent
    /// before the failure go once more (delivery outside the database is at least once), and
    /// the failing one backs off alone.
    async fn handle_batch(
        &self,
        txn: &DatabaseTransaction,
        events: &[&outbox_event::Model],
        platform: &Platform,
    ) -> AppResult<AfterCommit> {
        let batch = events
            .iter()
            .map(|event| outbox::payload::<NotificationCreated>(event))
            .collect::<AppResult<Vec<_>>>()?;
        match self {
            Self::Live => delivery::live(platform, &batch).await?,
            Self::Email => delivery::email(txn, platform, &batch).await?,
            Self::Push => delivery::push(txn, platform, &batch).await?,
        }
        Ok(AfterCommit::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_messages_are_tagged_and_foreign_ones_ignored() {
        let id = Uuid::now_v7();
        let text = serde_json::to_string(&LiveMessage::NotificationReceived {
            notification_id: id,
        })
        .expect("json");
        assert_eq!(
            text,
            format!(r#"{{"type":"NOTIFICATION_RECEIVED","notificationId":"{id}"}}"#)
        );
        let other: LiveMessage =
            serde_json::from_str(r#"{"type":"USER_UPDATED"}"#).expect("parses");
        assert_eq!(other, LiveMessage::Other);
    }

    #[test]
    fn identity_ignores_notification_messages() {
        let text = serde_json::to_string(&LiveMessage::NotificationReceived {
            notification_id: Uuid::now_v7(),
        })
        .expect("json");
        let seen: agora_identity::api::UserChannelMessage =
            serde_json::from_str(&text).expect("identity parses it");
        assert_eq!(seen, agora_identity::api::UserChannelMessage::Other);
    }
}
