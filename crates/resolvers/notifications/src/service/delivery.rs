//! Creating notifications from source events and delivering them on each channel; called by
//! the outbox handlers of [`crate::events`].

use std::collections::{BTreeSet, HashMap, HashSet};

use agora_entities::{notifications::notification, platform::outbox_event};
use agora_identity::api::{user_channel, user_contacts};
use agora_platform::{AppError, AppResult, Platform, mail::Mail, outbox, push::PushMessage};
use sea_orm::{ActiveEnum, ConnectionTrait};
use uuid::Uuid;

use super::{NotificationChannel, feed, preferences, sources};
use crate::events::{LiveMessage, NotificationCreated};

/// Turns source `events` into notifications inside the dispatcher's transaction `txn`, in a
/// fixed number of statements: for each, a feed row when the recipient wants IN_APP for its
/// kind (none if that source already made one), and one `NOTIFICATION_CREATED` for the
/// delivery handlers.
///
/// With IN_APP off but EMAIL or PUSH on, no row is stored and the event carries a fresh id, so
/// mail and push still go. With every channel off nothing is written. An event for a user who
/// no longer exists is dropped.
pub(crate) async fn create_from_events(
    txn: &impl ConnectionTrait,
    platform: &Platform,
    events: &[&outbox_event::Model],
) -> AppResult<()> {
    let mut facts = Vec::new();
    for event in events {
        if let Some((kind, fact)) = sources::read_event(&event.event_type, &event.payload)? {
            facts.push((*event, kind, fact));
        }
    }
    let recipients = distinct(facts.iter().map(|(_, _, fact)| fact.recipient));
    if recipients.is_empty() {
        return Ok(());
    }
    let contacts = user_contacts(txn, &recipients).await?;
    let choices = preferences::choices(txn, &recipients).await?;
    let mut drafts = Vec::new();
    let mut sources_seen = HashSet::new();
    for (event, kind, fact) in &facts {
        let Some(contact) = contacts.get(&fact.recipient) else {
            tracing::info!(event_id = %event.id, user_id = %fact.recipient, "notification for an unknown user dropped");
            continue;
        };
        let channels = choices.of(contact.id, *kind);
        if !channels.iter().any(|p| p.enabled) {
            continue;
        }
        let in_app = channels
            .iter()
            .any(|p| p.channel == NotificationChannel::InApp && p.enabled);
        let draft = fact.draft(*kind, &contact.display_name, event.id);
        // The same source twice in one batch notifies once, as it would across batches.
        if !sources_seen.insert((draft.user_id, draft.source_key)) {
            continue;
        }
        drafts.push((draft, in_app));
    }
    let now = platform.clock.now();
    let in_app: Vec<&sources::Draft> = drafts
        .iter()
        .filter(|(_, in_app)| *in_app)
        .map(|(draft, _)| draft)
        .collect();
    let stored: HashMap<(Uuid, Uuid), Uuid> = feed::insert_many(txn, now, &in_app)
        .await?
        .into_iter()
        .map(|n| ((n.user_id, n.source_event_id), n.id))
        .collect();
    let mut created = Vec::with_capacity(drafts.len());
    for (draft, in_app) in drafts {
        let notification_id = if in_app {
            match stored.get(&(draft.user_id, draft.source_key)) {
                Some(id) => *id,
                // Already notified for this source: delivered then, not again.
                None => continue,
            }
        } else {
            Uuid::now_v7()
        };
        let notification = NotificationCreated {
            notification_id,
            user_id: draft.user_id,
            kind: notification::Kind::from(draft.kind).to_value(),
            title: draft.title,
            body: draft.body,
            data: draft.data,
            in_app,
            created_at: now,
        };
        created.push(outbox::NewEvent::of(draft.user_id, &notification)?);
    }
    outbox::enqueue_many(txn, now, created).await
}

/// Publishes each stored notification of `batch` on its recipient's `user:{id}` channel (one
/// round trip). The live feed mirrors the in-app feed: a notification that was not stored is
/// not published.
pub(crate) async fn live(platform: &Platform, batch: &[NotificationCreated]) -> AppResult<()> {
    let mut messages = Vec::new();
    for created in batch.iter().filter(|c| c.in_app) {
        let message = serde_json::to_string(&LiveMessage::NotificationReceived {
            notification_id: created.notification_id,
        })
        .map_err(AppError::internal)?;
        messages.push((user_channel(created.user_id), message));
    }
    platform.bus.publish_many(&messages).await
}

/// Mails each notification whose recipient wants EMAIL for its kind now (preferences and
/// addresses read once for the batch, then one mail each).
pub(crate) async fn email(
    txn: &impl ConnectionTrait,
    platform: &Platform,
    batch: &[NotificationCreated],
) -> AppResult<()> {
    let wanted = wanting(txn, batch, NotificationChannel::Email).await?;
    let users: Vec<Uuid> = wanted.iter().map(|c| c.user_id).collect();
    let contacts = user_contacts(txn, &users).await?;
    for created in wanted {
        let Some(contact) = contacts.get(&created.user_id) else {
            continue;
        };
        platform
            .mail
            .send(Mail {
                to: contact.email.clone(),
                subject: created.title.clone(),
                body: format!(
                    "Hello {},\n\n{}\n\n{}/\n\nTo choose which notifications reach you by e-mail, \
                     open your notification settings: {}/settings/notifications\n",
                    contact.display_name,
                    created.body,
                    platform.config.server.public_url,
                    platform.config.server.public_url,
                ),
            })
            .await?;
    }
    Ok(())
}

/// Pushes each notification whose recipient wants PUSH for its kind now.
pub(crate) async fn push(
    txn: &impl ConnectionTrait,
    platform: &Platform,
    batch: &[NotificationCreated],
) -> AppResult<()> {
    for created in wanting(txn, batch, NotificationChannel::Push).await? {
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
            .await?;
    }
    Ok(())
}

/// The notifications of `batch` whose recipients want them on `channel` now (one read).
async fn wanting<'a>(
    txn: &impl ConnectionTrait,
    batch: &'a [NotificationCreated],
    channel: NotificationChannel,
) -> AppResult<Vec<&'a NotificationCreated>> {
    let choices = preferences::choices(txn, &distinct(batch.iter().map(|c| c.user_id))).await?;
    let mut wanted = Vec::new();
    for created in batch {
        if choices.enabled(
            created.user_id,
            notification::Kind::try_from_value(&created.kind)?.into(),
            channel,
        ) {
            wanted.push(created);
        }
    }
    Ok(wanted)
}

/// Each user once, in order.
fn distinct(users: impl Iterator<Item = Uuid>) -> Vec<Uuid> {
    users.collect::<BTreeSet<_>>().into_iter().collect()
}
