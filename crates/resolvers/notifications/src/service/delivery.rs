//! Creating notifications from source events and delivering them on each channel; called by
//! the outbox handlers of [`crate::events`].

use agora_entities::platform::outbox_event;
use agora_identity::{api::user_contact, events::user_channel};
use agora_platform::{AppError, AppResult, Platform, mail::Mail, outbox, push::PushMessage};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::{NotificationChannel, feed, preferences, sources};
use crate::events::{LiveMessage, NotificationCreated};

/// Turns source `event` into a notification inside the dispatcher's transaction `txn`: a feed
/// row when the recipient wants IN_APP for its kind (none if that source already made one),
/// and one `NOTIFICATION_CREATED` for the delivery handlers.
///
/// With IN_APP off but EMAIL or PUSH on, no row is stored and the event carries a fresh id, so
/// mail and push still go. With every channel off nothing is written. An event for a user who
/// no longer exists is dropped.
pub async fn create_from_event(
    txn: &impl ConnectionTrait,
    platform: &Platform,
    event: &outbox_event::Model,
) -> AppResult<()> {
    let Some((kind, fact)) = sources::read_event(&event.event_type, &event.payload)? else {
        return Ok(());
    };
    let Some(contact) = user_contact(txn, fact.recipient).await? else {
        tracing::info!(event_id = %event.id, user_id = %fact.recipient, "notification for an unknown user dropped");
        return Ok(());
    };
    let channels = preferences::for_kind(txn, contact.id, kind).await?;
    let wanted =
        |channel: NotificationChannel| channels.iter().any(|p| p.channel == channel && p.enabled);
    if !channels.iter().any(|p| p.enabled) {
        return Ok(());
    }
    let draft = fact.draft(kind, &contact.display_name, event.id);
    let now = platform.clock.now();
    let notification_id = if wanted(NotificationChannel::InApp) {
        match feed::insert(txn, now, &draft).await? {
            Some(stored) => stored.id,
            // Already notified for this source: delivered then, not again.
            None => return Ok(()),
        }
    } else {
        Uuid::now_v7()
    };
    let created = NotificationCreated {
        notification_id,
        user_id: draft.user_id,
        kind: kind.as_str().to_owned(),
        title: draft.title,
        body: draft.body,
        data: draft.data,
        in_app: wanted(NotificationChannel::InApp),
        created_at: now,
    };
    outbox::enqueue(txn, now, created.event()?).await?;
    Ok(())
}

/// Publishes a stored notification on its recipient's `user:{id}` channel. The live feed
/// mirrors the in-app feed: a notification that was not stored is not published.
pub async fn live(platform: &Platform, created: &NotificationCreated) -> AppResult<()> {
    if !created.in_app {
        return Ok(());
    }
    let message = serde_json::to_string(&LiveMessage::NotificationReceived {
        notification_id: created.notification_id,
    })
    .map_err(AppError::internal)?;
    platform
        .bus
        .publish(&user_channel(created.user_id), &message)
        .await
}

/// Mails the notification if its recipient wants EMAIL for its kind now.
pub async fn email(
    txn: &impl ConnectionTrait,
    platform: &Platform,
    created: &NotificationCreated,
) -> AppResult<()> {
    let kind = created.kind()?;
    if !preferences::enabled(txn, created.user_id, kind, NotificationChannel::Email).await? {
        return Ok(());
    }
    let Some(contact) = user_contact(txn, created.user_id).await? else {
        return Ok(());
    };
    platform
        .mail
        .send(Mail {
            to: contact.email,
            subject: created.title.clone(),
            body: format!(
                "Hello {},\n\n{}\n\n{}/\n\nTo choose which notifications reach you by e-mail, \
                 open your notification settings: {}/settings/notifications\n",
                contact.display_name,
                created.body,
                platform.config.public_url,
                platform.config.public_url,
            ),
        })
        .await
}

/// Pushes the notification if its recipient wants PUSH for its kind now.
pub async fn push(
    txn: &impl ConnectionTrait,
    platform: &Platform,
    created: &NotificationCreated,
) -> AppResult<()> {
    let kind = created.kind()?;
    if !preferences::enabled(txn, created.user_id, kind, NotificationChannel::Push).await? {
        return Ok(());
    }
    platform
        .push
        .send(PushMessage {
            notification_id: created.notification_id,
            user_id: created.user_id,
            kind: created.kind.clone(),
            title: created.title.clone(),
            body: created.body.clone(),
            data: created.data.clone(),
        })
        .await
}
