//! Tables of notifications: the in-app feed and each user's delivery preferences.

pub mod notification;
pub mod notification_preference;
