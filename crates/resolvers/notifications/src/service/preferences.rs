//! Who wants which kind on which channel. A row exists only where the user chose; without one
//! the default of [`default_enabled`] applies.

use std::collections::{HashMap, HashSet};

use agora_entities::notifications::{notification, notification_preference};
use agora_platform::{AppError, AppResult, Platform, db::begin_write};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::OnConflict,
};
use uuid::Uuid;

use super::{NotificationChannel, NotificationKind};

/// Most preferences one update takes: one per kind and channel.
pub(crate) const MAX_PER_UPDATE: usize =
    NotificationKind::ALL.len() * NotificationChannel::ALL.len();

/// The default when a user has not chosen.
///
/// - IN_APP: on for every kind; the feed is where a notification can always be found.
/// - EMAIL: on for what needs acting on today and is missed without it: STREAK_AT_RISK,
///   FLASHCARDS_DUE and SENSOR_ALERT (air you are about to breathe). Not WELCOME: registration already sends the address-confirmation mail,
///   and a second mail in the same second is noise. Not the celebrations (LEVEL_UP,
///   ACHIEVEMENT_UNLOCKED), which the user sees in the app where they happened, nor
///   SUBMISSION_REVIEWED, which is in the feed and on the submission.
/// - PUSH: on for the time-critical reminders (STREAK_AT_RISK, FLASHCARDS_DUE, SENSOR_ALERT) and the
///   celebrations (LEVEL_UP, ACHIEVEMENT_UNLOCKED), which are short and welcome on a phone.
pub(crate) fn default_enabled(kind: NotificationKind, channel: NotificationChannel) -> bool {
    use NotificationChannel::*;
    use NotificationKind::*;
    match channel {
        InApp => true,
        Email => matches!(kind, StreakAtRisk | FlashcardsDue | SensorAlert),
        Push => matches!(
            kind,
            StreakAtRisk | FlashcardsDue | LevelUp | AchievementUnlocked | SensorAlert
        ),
    }
}

/// One effective preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Preference {
    /// The kind.
    pub kind: NotificationKind,
    /// The channel.
    pub channel: NotificationChannel,
    /// Delivered there.
    pub enabled: bool,
}

/// The choices of many users (a thousand per statement), for [`Choices::of`].
pub(crate) async fn choices<C: ConnectionTrait>(db: &C, users: &[Uuid]) -> AppResult<Choices> {
    let mut rows: HashMap<Uuid, Vec<notification_preference::Model>> = HashMap::new();
    for chunk in users.chunks(1_000) {
        for row in notification_preference::Entity::find()
            .filter(notification_preference::Column::UserId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
        {
            rows.entry(row.user_id).or_default().push(row);
        }
    }
    Ok(Choices(rows))
}

/// What [`choices`] read: the rows of the users asked for.
#[derive(Debug, Default)]
pub(crate) struct Choices(HashMap<Uuid, Vec<notification_preference::Model>>);

impl Choices {
    /// Every channel's effective value for `user_id` and `kind`, in
    /// [`NotificationChannel::ALL`] order.
    pub(crate) fn of(&self, user_id: Uuid, kind: NotificationKind) -> Vec<Preference> {
        effective(&[kind], self.0.get(&user_id).map_or(&[], Vec::as_slice))
    }

    /// Whether `user_id` wants `kind` on `channel`.
    pub(crate) fn enabled(
        &self,
        user_id: Uuid,
        kind: NotificationKind,
        channel: NotificationChannel,
    ) -> bool {
        self.of(user_id, kind)
            .iter()
            .any(|p| p.channel == channel && p.enabled)
    }
}

/// Every kind × channel with its effective value, kinds in [`NotificationKind::ALL`] order.
pub(crate) async fn all<C: ConnectionTrait>(db: &C, user_id: Uuid) -> AppResult<Vec<Preference>> {
    let rows = notification_preference::Entity::find()
        .filter(notification_preference::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    Ok(effective(&NotificationKind::ALL, &rows))
}

fn effective(
    kinds: &[NotificationKind],
    rows: &[notification_preference::Model],
) -> Vec<Preference> {
    kinds
        .iter()
        .flat_map(|&kind| {
            NotificationChannel::ALL.into_iter().map(move |channel| {
                let chosen = rows
                    .iter()
                    .find(|r| kind == r.kind.into() && channel == r.channel.into());
                Preference {
                    kind,
                    channel,
                    enabled: chosen.map_or_else(|| default_enabled(kind, channel), |r| r.enabled),
                }
            })
        })
        .collect()
}

/// Records `changes` for `user_id` (insert or overwrite, one statement) and returns every
/// effective preference. A choice is kept even when it equals today's default, so changing a
/// default later never overrides what a user chose. `BAD_USER_INPUT` on `input` for a list
/// longer than [`MAX_PER_UPDATE`] or naming a kind and channel twice.
pub(crate) async fn update(
    platform: &Platform,
    user_id: Uuid,
    changes: &[Preference],
) -> AppResult<Vec<Preference>> {
    if changes.len() > MAX_PER_UPDATE {
        return Err(AppError::bad_input(
            "input",
            format!("at most {MAX_PER_UPDATE} preferences at once (one per kind and channel)"),
        ));
    }
    let mut seen = HashSet::new();
    for (index, change) in changes.iter().enumerate() {
        if !seen.insert((change.kind, change.channel)) {
            return Err(AppError::bad_input(
                format!("input[{index}]"),
                format!(
                    "{} on {} is listed twice",
                    notification::Kind::from(change.kind).to_value(),
                    notification_preference::Channel::from(change.channel).to_value()
                ),
            ));
        }
    }
    let txn = begin_write(&platform.db).await?;
    if !changes.is_empty() {
        let now = platform.clock.now();
        let rows = changes
            .iter()
            .map(|c| notification_preference::ActiveModel {
                user_id: sea_orm::ActiveValue::Set(user_id),
                kind: sea_orm::ActiveValue::Set(c.kind.into()),
                channel: sea_orm::ActiveValue::Set(c.channel.into()),
                enabled: sea_orm::ActiveValue::Set(c.enabled),
                updated_at: sea_orm::ActiveValue::Set(now),
            });
        notification_preference::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([
                    notification_preference::Column::UserId,
                    notification_preference::Column::Kind,
                    notification_preference::Column::Channel,
                ])
                .update_columns([
                    notification_preference::Column::Enabled,
                    notification_preference::Column::UpdatedAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    let all = all(&txn, user_id).await?;
    txn.commit().await?;
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_keep_the_feed_whole_and_mail_for_what_is_due_today() {
        for kind in NotificationKind::ALL {
            assert!(default_enabled(kind, NotificationChannel::InApp));
        }
        let email: Vec<_> = NotificationKind::ALL
            .into_iter()
            .filter(|&k| default_enabled(k, NotificationChannel::Email))
            .collect();
        assert_eq!(
            email,
            [
                NotificationKind::StreakAtRisk,
                NotificationKind::FlashcardsDue,
                NotificationKind::SensorAlert
            ]
        );
        assert!(!default_enabled(
            NotificationKind::SubmissionReviewed,
            NotificationChannel::Push
        ));
    }

    #[test]
    fn a_stored_choice_overrides_the_default() {
        let user = Uuid::now_v7();
        let rows = [notification_preference::Model {
            user_id: user,
            kind: notification::Kind::StreakAtRisk,
            channel: notification_preference::Channel::Email,
            enabled: false,
            updated_at: chrono::Utc::now(),
        }];
        let prefs = effective(&[NotificationKind::StreakAtRisk], &rows);
        assert_eq!(prefs.len(), 3);
        assert!(prefs[0].enabled, "IN_APP keeps its default");
        assert!(!prefs[1].enabled, "EMAIL was turned off");
        assert!(prefs[2].enabled, "PUSH keeps its default");
    }
}
