//! What the schema may ask of notifications: `node(id:)` look-ups.

use agora_platform::{AppResult, Platform};
use uuid::Uuid;

use crate::service::feed;
pub use crate::types::{NOTIFICATION_TYPE, Notification};

/// Notification `id` if it is `viewer`'s own; None otherwise (another user's is invisible).
pub async fn find_visible(
    platform: &Platform,
    viewer: Uuid,
    id: Uuid,
) -> AppResult<Option<Notification>> {
    Ok(feed::find_own(&platform.db, viewer, id)
        .await?
        .map(Notification))
}

/// The outbox handlers notifications contribute: creation, then one per delivery channel.
pub fn outbox_handlers() -> Vec<std::sync::Arc<dyn agora_platform::outbox::OutboxHandler>> {
    vec![
        std::sync::Arc::new(crate::events::CreateNotifications),
        std::sync::Arc::new(crate::events::Delivery::Live),
        std::sync::Arc::new(crate::events::Delivery::Email),
        std::sync::Arc::new(crate::events::Delivery::Push),
    ]
}
