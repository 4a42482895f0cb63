//! Notifications' rules as plain async functions: what an event says to whom ([`sources`]),
//! the feed ([`feed`]), who wants what where ([`preferences`]) and delivery ([`delivery`]).

pub(crate) mod delivery;
pub(crate) mod feed;
pub(crate) mod preferences;
pub(crate) mod sources;

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
#[graphql(remote = "agora_entities::notifications::notification::Kind")]
pub enum NotificationKind {
    /// Sent once, on registration.
    Welcome,
    /// You reached a new level.
    LevelUp,
    /// You unlocked an achievement.
    AchievementUnlocked,
    /// Your daily streak ends at midnight unless you practise today.
    StreakAtRisk,
    /// Flashcards are due for review.
    FlashcardsDue,
    /// Reviewers decided on your community submission.
    SubmissionReviewed,
    /// An air-quality alert fired at a station you follow.
    SensorAlert,
}

/// Where a notification is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
#[graphql(remote = "agora_entities::notifications::notification_preference::Channel")]
pub enum NotificationChannel {
    /// The in-app feed (`notifications`) and its live feed (`notificationReceived`).
    InApp,
    /// An e-mail to the account's address.
    Email,
    /// A push to the user's devices, through the push gateway.
    Push,
}

impl NotificationKind {
    /// Every kind, in the order preferences are listed.
    pub const ALL: [Self; 7] = [
        Self::Welcome,
        Self::LevelUp,
        Self::AchievementUnlocked,
        Self::StreakAtRisk,
        Self::FlashcardsDue,
        Self::SubmissionReviewed,
        Self::SensorAlert,
    ];
}

impl NotificationChannel {
    /// Every channel, in the order preferences are listed.
    pub const ALL: [Self; 3] = [Self::InApp, Self::Email, Self::Push];
}

/// Most notification ids one `markNotificationsRead` takes (a page is at most 100).
pub(crate) const MAX_IDS_PER_CALL: usize = 100;

#[cfg(test)]
mod tests {
    use agora_entities::notifications::{notification, notification_preference};
    use sea_orm::{ActiveEnum, Iterable};

    use super::*;

    #[test]
    fn all_lists_every_stored_kind_and_channel_once() {
        let kinds: Vec<NotificationKind> = notification::Kind::iter().map(Into::into).collect();
        assert_eq!(kinds, NotificationKind::ALL);
        let channels: Vec<NotificationChannel> = notification_preference::Channel::iter()
            .map(Into::into)
            .collect();
        assert_eq!(channels, NotificationChannel::ALL);
        assert_eq!(
            notification::Kind::from(NotificationKind::LevelUp).to_value(),
            "LEVEL_UP"
        );
        assert!(notification::Kind::try_from_value(&"SPAM".to_owned()).is_err());
    }
}
