//! Events notifications emit (and consume themselves).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{DomainEvent, EventKind};

/// `NOTIFICATION_CREATED`: a notification exists and is to be delivered; one handler per
/// channel (live, e-mail, push) delivers it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NotificationCreated {
    /// The notification (its feed row's id when `inApp`, else an id of its own).
    pub notification_id: Uuid,
    /// The recipient.
    pub user_id: Uuid,
    /// Its kind, e.g. `LEVEL_UP` (a notification kind, not an event kind).
    pub kind: String,
    /// Title.
    pub title: String,
    /// Body.
    pub body: String,
    /// Kind-specific details.
    pub data: serde_json::Value,
    /// Whether it was stored in the feed (IN_APP on when it was created).
    pub in_app: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl DomainEvent for NotificationCreated {
    const KIND: EventKind = EventKind::NotificationCreated;
}
