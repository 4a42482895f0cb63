//! Events identity emits, and the handler that turns them into live updates.

use agora_entities::platform::outbox_event;
use agora_platform::{
    AppError, AppResult, Platform,
    outbox::{NewEvent, OutboxHandler},
};
use async_trait::async_trait;
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Event names identity writes to the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityEvent {
    /// A new account exists. Payload: [`UserEventPayload`].
    UserRegistered,
    /// A user's profile or role changed. Payload: [`UserEventPayload`].
    UserUpdated,
    /// A user signed in (or registered) and got a new session; gamification turns the first
    /// of each local day into `DAILY_LOGIN` points. Refreshing a session does not count.
    /// Payload: [`UserEventPayload`].
    UserSignedIn,
}

impl IdentityEvent {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserRegistered => "USER_REGISTERED",
            Self::UserUpdated => "USER_UPDATED",
            Self::UserSignedIn => "USER_SIGNED_IN",
        }
    }

    /// The outbox record for this event about `user_id`.
    pub fn for_user(self, user_id: Uuid) -> NewEvent {
        NewEvent {
            event_type: self.as_str(),
            aggregate_id: Some(user_id.to_string()),
            payload: serde_json::json!({ "userId": user_id }),
        }
    }
}

/// Body of the user events.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserEventPayload {
    /// The user concerned.
    pub user_id: Uuid,
}

/// The channel carrying live updates for one user.
pub fn user_channel(user_id: Uuid) -> String {
    format!("user:{user_id}")
}

/// Messages on a `user:{id}` channel. Other domains add their own kinds (notifications).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserChannelMessage {
    /// The user's profile or role changed; re-read it.
    UserUpdated,
    /// Any message kind this crate does not know.
    #[serde(other)]
    Other,
}

/// Publishes `USER_UPDATED` on the user's channel after the change commits.
pub(crate) struct UserChannelPublisher;

#[async_trait]
impl OutboxHandler for UserChannelPublisher {
    fn name(&self) -> &str {
        "identity.user_channel"
    }

    fn handles(&self, event_type: &str) -> bool {
        event_type == IdentityEvent::UserUpdated.as_str()
    }

    async fn handle(
        &self,
        _txn: &DatabaseTransaction,
        event: &outbox_event::Model,
        platform: &Platform,
    ) -> AppResult<()> {
        let payload: UserEventPayload =
            serde_json::from_value(event.payload.clone()).map_err(AppError::internal)?;
        let message =
            serde_json::to_string(&UserChannelMessage::UserUpdated).map_err(AppError::internal)?;
        platform
            .bus
            .publish(&user_channel(payload.user_id), &message)
            .await
    }
}
