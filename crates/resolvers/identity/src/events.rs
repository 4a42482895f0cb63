//! The handler that turns identity's outbox events into live updates, the `user:{id}` channel
//! and its messages, and revocation announcements. The events identity emits
//! (`USER_REGISTERED`, `USER_SIGNED_IN`, `USER_UPDATED`) are typed in [`agora_events::identity`].

use agora_entities::platform::outbox_event;
use agora_events::{EventKind, UserUpdated};
use agora_platform::{
    AppError, AppResult, Platform,
    auth::Viewer,
    outbox::{self, AfterCommit, OutboxHandler},
};
use async_trait::async_trait;
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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

    fn consumes(&self) -> &'static [EventKind] {
        &[EventKind::UserUpdated]
    }

    async fn handle_batch(
        &self,
        _txn: &DatabaseTransaction,
        events: &[&outbox_event::Model],
        platform: &Platform,
    ) -> AppResult<AfterCommit> {
        let message =
            serde_json::to_string(&UserChannelMessage::UserUpdated).map_err(AppError::internal)?;
        for event in events {
            let updated: UserUpdated = outbox::payload(event)?;
            platform
                .bus
                .publish(&user_channel(updated.user_id), &message)
                .await?;
        }
        Ok(AfterCommit::default())
    }
}

/// The bus channel announcing revoked credentials to every replica: each closes its open
/// WebSockets that hold them (operations on a socket re-check credentials anyway; this ends
/// its running subscriptions too).
pub const REVOCATIONS_CHANNEL: &str = "auth:revoked";

/// Credentials that stopped being valid, as announced on [`REVOCATIONS_CHANNEL`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(
    tag = "kind",
    rename_all = "SCREAMING_SNAKE_CASE",
    rename_all_fields = "camelCase"
)]
pub enum Revocation {
    /// One session ended (logout, or its refresh token was reused).
    Session {
        /// The session.
        session_id: Uuid,
    },
    /// Every session of a user but one ended (password changed or reset).
    UserSessions {
        /// The user.
        user_id: Uuid,
        /// The session that stays (the one that changed the password).
        except: Option<Uuid>,
    },
    /// An API key was revoked.
    ApiKey {
        /// The key.
        key_id: Uuid,
    },
}

impl Revocation {
    /// Whether `viewer` authenticated with the revoked credentials.
    pub fn applies_to(&self, viewer: &Viewer) -> bool {
        match (self, viewer) {
            (Self::Session { session_id }, Viewer::User(user)) => user.session_id == *session_id,
            (Self::UserSessions { user_id, except }, Viewer::User(user)) => {
                user.user_id == *user_id && *except != Some(user.session_id)
            }
            (Self::ApiKey { key_id }, Viewer::ApiKey(key)) => key.key_id == *key_id,
            _ => false,
        }
    }

    /// What a client whose connection closes for this is told.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Session { .. } | Self::UserSessions { .. } => {
                "this session has been revoked; sign in again"
            }
            Self::ApiKey { .. } => "this API key has been revoked",
        }
    }
}

/// Announces `revocation` to every replica once the change has committed. A bus failure is
/// logged, not returned: the change stands, and every operation re-checks credentials.
pub(crate) async fn announce(platform: &Platform, revocation: Revocation) {
    let published = match serde_json::to_string(&revocation) {
        Ok(payload) => platform.bus.publish(REVOCATIONS_CHANNEL, &payload).await,
        Err(err) => Err(AppError::internal(err)),
    };
    if let Err(err) = published {
        tracing::warn!(error = %err.log_message(), ?revocation, "revocation not announced");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agora_platform::auth::{ApiScope, KeyViewer, Role, UserViewer};

    fn user(user_id: Uuid, session_id: Uuid) -> Viewer {
        Viewer::User(UserViewer {
            user_id,
            role: Role::Learner,
            session_id,
        })
    }

    #[test]
    fn a_revocation_applies_to_exactly_the_credentials_it_names() {
        let (alice, s1, s2) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let key = Uuid::now_v7();
        let key_viewer = Viewer::ApiKey(KeyViewer {
            key_id: key,
            owner_id: alice,
            owner_role: Role::Admin,
            scopes: vec![ApiScope::Write],
            station_id: None,
            client: None,
        });
        let logout = Revocation::Session { session_id: s1 };
        assert!(logout.applies_to(&user(alice, s1)));
        assert!(!logout.applies_to(&user(alice, s2)));
        let password = Revocation::UserSessions {
            user_id: alice,
            except: Some(s2),
        };
        assert!(password.applies_to(&user(alice, s1)));
        assert!(!password.applies_to(&user(alice, s2)));
        assert!(!password.applies_to(&key_viewer));
        assert!(Revocation::ApiKey { key_id: key }.applies_to(&key_viewer));
        assert!(!Revocation::ApiKey { key_id: key }.applies_to(&Viewer::Anonymous));
    }

    #[test]
    fn revocations_travel_as_tagged_json() {
        let revocation = Revocation::UserSessions {
            user_id: Uuid::nil(),
            except: None,
        };
        let text = serde_json::to_string(&revocation).expect("serialises");
        assert!(text.contains(r#""kind":"USER_SESSIONS""#), "{text}");
        assert!(text.contains(r#""userId""#), "{text}");
        assert_eq!(
            serde_json::from_str::<Revocation>(&text).expect("parses"),
            revocation
        );
    }
}
