//! Notifications' rules as plain async functions: what an event says to whom ([`sources`]),
//! the feed ([`feed`]), who wants what where ([`preferences`]) and delivery ([`delivery`]).

pub(crate) mod delivery;
pub(crate) mod feed;
pub(crate) mod preferences;
pub(crate) mod sources;

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
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
pub enum NotificationChannel {
    /// The in-app feed (`notifications`) and its live feed (`notificationReceived`).
    InApp,
    /// An e-mail to the account's address.
    Email,
    /// A push to the user's devices, through the push gateway.
    Push,
}

agora_platform::stored_enum!(NotificationKind {
    Welcome => "WELCOME",
    LevelUp => "LEVEL_UP",
    AchievementUnlocked => "ACHIEVEMENT_UNLOCKED",
    StreakAtRisk => "STREAK_AT_RISK",
    FlashcardsDue => "FLASHCARDS_DUE",
    SubmissionReviewed => "SUBMISSION_REVIEWED",
    SensorAlert => "SENSOR_ALERT",
});

agora_platform::stored_enum!(NotificationChannel {
    InApp => "IN_APP",
    Email => "EMAIL",
    Push => "PUSH",
});

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
    use super::*;

    #[test]
    fn stored_forms_round_trip() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(kind.as_str()).expect("kind"), kind);
        }
        for channel in NotificationChannel::ALL {
            assert_eq!(
                NotificationChannel::parse(channel.as_str()).expect("channel"),
                channel
            );
        }
        assert!(NotificationKind::parse("SPAM").is_err());
    }
}
