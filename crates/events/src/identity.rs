//! Events identity emits.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{DomainEvent, EventKind};

/// `USER_REGISTERED`: a new account exists (notifications welcome it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserRegistered {
    /// The new user.
    pub user_id: Uuid,
}

impl DomainEvent for UserRegistered {
    const KIND: EventKind = EventKind::UserRegistered;
}

/// `USER_SIGNED_IN`: a user got a new session; gamification turns the first of each local day
/// into `DAILY_LOGIN` points.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserSignedIn {
    /// Who signed in.
    pub user_id: Uuid,
}

impl DomainEvent for UserSignedIn {
    const KIND: EventKind = EventKind::UserSignedIn;
}

/// `USER_UPDATED`: a user's profile or role changed (identity publishes it live on
/// `user:{id}`; gamification refreshes its copy of the time zone).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UserUpdated {
    /// The user changed.
    pub user_id: Uuid,
}

impl DomainEvent for UserUpdated {
    const KIND: EventKind = EventKind::UserUpdated;
}
