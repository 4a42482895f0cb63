//! GraphQL types of notifications.

use agora_entities::notifications::notification;
use agora_platform::ids;
use async_graphql::{ID, InputObject, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use crate::service::{NotificationChannel, NotificationKind, preferences::Preference};

/// Global-id type name of notifications.
pub const NOTIFICATION_TYPE: &str = "Notification";

/// Something that happened that you should know about.
pub struct Notification(pub notification::Model);

/// Something that happened that you should know about.
#[Object]
impl Notification {
    /// Global id.
    pub async fn id(&self) -> ID {
        ids::encode(NOTIFICATION_TYPE, self.0.id)
    }

    /// What it is about.
    async fn kind(&self) -> Result<NotificationKind> {
        Ok(self.0.kind.into())
    }

    /// Title line.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// Body text.
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// Kind-specific details: `{level, previousLevel, xp}` for LEVEL_UP, `{achievementKey,
    /// name, description, unlockedAt}` for ACHIEVEMENT_UNLOCKED, `{streak, localDate}` for
    /// STREAK_AT_RISK, `{dueCount}` for FLASHCARDS_DUE, `{submissionId, verdict, status}` for
    /// SUBMISSION_REVIEWED (a global id), `{}` for WELCOME.
    async fn data(&self) -> Json<serde_json::Value> {
        Json(self.0.data.clone())
    }

    /// When you read it; null while unread.
    async fn read_at(&self) -> Option<DateTime<Utc>> {
        self.0.read_at
    }

    /// When it was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// Whether one kind of notification reaches you on one channel.
#[derive(SimpleObject)]
pub(crate) struct NotificationPreference {
    /// The kind.
    pub kind: NotificationKind,
    /// The channel.
    pub channel: NotificationChannel,
    /// Delivered there (your choice, or the default when you have not chosen).
    pub enabled: bool,
}

impl From<Preference> for NotificationPreference {
    fn from(p: Preference) -> Self {
        Self {
            kind: p.kind,
            channel: p.channel,
            enabled: p.enabled,
        }
    }
}

/// One choice for `updateNotificationPreferences`.
#[derive(InputObject)]
pub(crate) struct NotificationPreferenceInput {
    /// The kind.
    pub kind: NotificationKind,
    /// The channel.
    pub channel: NotificationChannel,
    /// Deliver it there.
    pub enabled: bool,
}

/// What `markNotificationsRead` changed.
#[derive(SimpleObject)]
pub(crate) struct MarkNotificationsReadPayload {
    /// The notifications this call marked read, newest first (already-read ones and ids that
    /// are not yours are left out).
    pub notifications: Vec<Notification>,
    /// How many this call marked read.
    pub count: i32,
    /// Your unread notifications after the call (the badge).
    pub unread_count: i32,
}

/// What `markAllNotificationsRead` changed.
#[derive(SimpleObject)]
pub(crate) struct MarkAllNotificationsReadPayload {
    /// How many were unread and now are read.
    pub count: i32,
    /// Your unread notifications after the call: 0, unless one arrived meanwhile.
    pub unread_count: i32,
    /// The read time written on each of them.
    pub read_at: DateTime<Utc>,
}
