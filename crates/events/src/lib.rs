//! The domain events Agora writes to its transactional outbox: one [`EventKind`] per event and
//! one payload struct per kind, shared by the domain that emits it and every domain that reads
//! it, so renaming an event or a field fails to compile instead of silently stopping points or
//! notifications.
//!
//! A payload is written with `agora_platform::outbox::NewEvent::of(aggregate_id, &payload)`
//! and read back with `agora_platform::outbox::payload::<T>(event)`; a handler declares the
//! kinds it consumes (`OutboxHandler::consumes`). The stored names ([`EventKind::as_str`]) and
//! JSON shapes (camelCase) are what the `outbox_events` table holds: never change them. Fields
//! that some stored rows lack (older emitters, seeds, tests) are `#[serde(default)]`, so those
//! rows still parse.
//!
//! Payloads are grouped by the domain that emits them: [`identity`], [`knowledge`],
//! [`learning`], [`community`], [`battle`], [`gamification`], [`notifications`], [`sensors`]
//! and [`literacy`] (whose events are consumed already and emitted soon).
#![warn(missing_docs, unreachable_pub)]

use std::{fmt, str::FromStr};

use serde::{Serialize, de::DeserializeOwned};

pub mod battle;
pub mod community;
pub mod gamification;
pub mod identity;
pub mod knowledge;
pub mod learning;
pub mod literacy;
pub mod notifications;
pub mod sensors;

pub use battle::{BattleFinished, FinishedPlayer};
pub use community::SubmissionReviewed;
pub use gamification::{AchievementUnlocked, LevelUp, StreakAtRisk};
pub use identity::{UserRegistered, UserSignedIn, UserUpdated};
pub use knowledge::QuestionPublished;
pub use learning::{CaptureSubmitted, FlashcardReviewed, FlashcardsDue, TopicCompleted};
pub use literacy::{MockTestPassed, PracticeStreakExtended, WordMastered};
pub use notifications::NotificationCreated;
pub use sensors::SensorAlert;

/// The payload of one kind of event.
pub trait DomainEvent: Serialize + DeserializeOwned {
    /// The kind stored with it.
    const KIND: EventKind;
}

/// Every kind of outbox event; its stored name is [`EventKind::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// A new account exists (identity). Payload: [`UserRegistered`].
    UserRegistered,
    /// A user signed in (or registered) and got a new session (identity); refreshing a
    /// session does not count. Payload: [`UserSignedIn`].
    UserSignedIn,
    /// A user's profile or role changed (identity). Payload: [`UserUpdated`].
    UserUpdated,
    /// A question went live (knowledge). Payload: [`QuestionPublished`].
    QuestionPublished,
    /// A learner reviewed one of their flashcards (learning). Payload: [`FlashcardReviewed`].
    FlashcardReviewed,
    /// A learner completed a topic, once per topic (learning). Payload: [`TopicCompleted`].
    TopicCompleted,
    /// The morning reminder of cards due today (learning). Payload: [`FlashcardsDue`].
    FlashcardsDue,
    /// A learner captured content to be turned into cards (learning, which also processes
    /// it). Payload: [`CaptureSubmitted`].
    CaptureSubmitted,
    /// A vote was cast on a submission (community). Payload: [`SubmissionReviewed`].
    SubmissionReviewed,
    /// A battle ended, with its results (battle). Payload: [`BattleFinished`].
    BattleFinished,
    /// A user reached a new level (gamification). Payload: [`LevelUp`].
    LevelUp,
    /// A user unlocked an achievement (gamification). Payload: [`AchievementUnlocked`].
    AchievementUnlocked,
    /// The evening reminder of a streak that ends at midnight (gamification). Payload:
    /// [`StreakAtRisk`].
    StreakAtRisk,
    /// A notification exists and is to be delivered on each channel (notifications). Payload:
    /// [`NotificationCreated`].
    NotificationCreated,
    /// An air-quality alert fired at a station a user follows (sensors). Payload:
    /// [`SensorAlert`].
    SensorAlert,
    /// A learner mastered a word, once per word (literacy). Payload: [`WordMastered`].
    WordMastered,
    /// A learner passed a level's mock test for the first time (literacy). Payload:
    /// [`MockTestPassed`].
    MockTestPassed,
    /// A learner's daily practice streak grew past their longest, by one day (literacy).
    /// Payload: [`PracticeStreakExtended`].
    PracticeStreakExtended,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 18] = [
        Self::UserRegistered,
        Self::UserSignedIn,
        Self::UserUpdated,
        Self::QuestionPublished,
        Self::FlashcardReviewed,
        Self::TopicCompleted,
        Self::FlashcardsDue,
        Self::CaptureSubmitted,
        Self::SubmissionReviewed,
        Self::BattleFinished,
        Self::LevelUp,
        Self::AchievementUnlocked,
        Self::StreakAtRisk,
        Self::NotificationCreated,
        Self::SensorAlert,
        Self::WordMastered,
        Self::MockTestPassed,
        Self::PracticeStreakExtended,
    ];

    /// The name stored in `outbox_events.event_type` (and, for the kinds that earn points,
    /// `point_rules.event_type`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UserRegistered => "USER_REGISTERED",
            Self::UserSignedIn => "USER_SIGNED_IN",
            Self::UserUpdated => "USER_UPDATED",
            Self::QuestionPublished => "QUESTION_PUBLISHED",
            Self::FlashcardReviewed => "FLASHCARD_REVIEWED",
            Self::TopicCompleted => "TOPIC_COMPLETED",
            Self::FlashcardsDue => "FLASHCARDS_DUE",
            Self::CaptureSubmitted => "CAPTURE_SUBMITTED",
            Self::SubmissionReviewed => "SUBMISSION_REVIEWED",
            Self::BattleFinished => "BATTLE_FINISHED",
            Self::LevelUp => "LEVEL_UP",
            Self::AchievementUnlocked => "ACHIEVEMENT_UNLOCKED",
            Self::StreakAtRisk => "STREAK_AT_RISK",
            Self::NotificationCreated => "NOTIFICATION_CREATED",
            Self::SensorAlert => "SENSOR_ALERT",
            Self::WordMastered => "WORD_MASTERED",
            Self::MockTestPassed => "MOCK_TEST_PASSED",
            Self::PracticeStreakExtended => "PRACTICE_STREAK_EXTENDED",
        }
    }

    /// The kind stored as `name`; None for a name no kind has (a row of a removed event, or
    /// of a newer version of Agora), which no handler consumes.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == name)
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored event name that no [`EventKind`] has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownEventKind(pub String);

impl fmt::Display for UnknownEventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown event kind {:?}", self.0)
    }
}

impl std::error::Error for UnknownEventKind {}

impl FromStr for EventKind {
    type Err = UnknownEventKind;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::parse(name).ok_or_else(|| UnknownEventKind(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use serde_json::json;
    use uuid::Uuid;

    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_stored_name() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
            assert_eq!(kind.to_string(), kind.as_str());
        }
        assert_eq!(EventKind::parse("TEST_EVENT"), None);
        assert!("flashcard_reviewed".parse::<EventKind>().is_err());
    }

    #[test]
    fn stored_names_are_unique_and_screaming_snake_case() {
        let names: HashSet<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), EventKind::ALL.len());
        for name in names {
            assert!(
                name.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{name}"
            );
        }
    }

    /// `ALL` lists every variant: this match stops compiling when one is added, and the
    /// count below fails until it is listed.
    #[test]
    fn all_lists_every_variant() {
        let count = EventKind::ALL
            .iter()
            .map(|kind| match kind {
                EventKind::UserRegistered
                | EventKind::UserSignedIn
                | EventKind::UserUpdated
                | EventKind::QuestionPublished
                | EventKind::FlashcardReviewed
                | EventKind::TopicCompleted
                | EventKind::FlashcardsDue
                | EventKind::CaptureSubmitted
                | EventKind::SubmissionReviewed
                | EventKind::BattleFinished
                | EventKind::LevelUp
                | EventKind::AchievementUnlocked
                | EventKind::StreakAtRisk
                | EventKind::NotificationCreated
                | EventKind::SensorAlert
                | EventKind::WordMastered
                | EventKind::MockTestPassed
                | EventKind::PracticeStreakExtended => 1,
            })
            .sum::<usize>();
        assert_eq!(count, 18);
        let distinct: HashSet<EventKind> = EventKind::ALL.into_iter().collect();
        assert_eq!(distinct.len(), EventKind::ALL.len());
    }

    #[test]
    fn each_payload_declares_its_own_kind() {
        let kinds = [
            UserRegistered::KIND,
            UserSignedIn::KIND,
            UserUpdated::KIND,
            QuestionPublished::KIND,
            FlashcardReviewed::KIND,
            TopicCompleted::KIND,
            FlashcardsDue::KIND,
            CaptureSubmitted::KIND,
            SubmissionReviewed::KIND,
            BattleFinished::KIND,
            LevelUp::KIND,
            AchievementUnlocked::KIND,
            StreakAtRisk::KIND,
            NotificationCreated::KIND,
            SensorAlert::KIND,
            WordMastered::KIND,
            MockTestPassed::KIND,
            PracticeStreakExtended::KIND,
        ];
        let distinct: HashSet<EventKind> = kinds.into_iter().collect();
        assert_eq!(distinct.len(), EventKind::ALL.len());
    }

    /// The stored shapes: the emitters' JSON, field for field.
    #[test]
    fn payloads_serialise_to_the_stored_shape() {
        let (u, t, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(
            serde_json::to_value(UserSignedIn { user_id: u }).unwrap(),
            json!({ "userId": u })
        );
        assert_eq!(
            serde_json::to_value(FlashcardReviewed {
                user_id: u,
                topic_id: Some(t),
                flashcard_id: Some(c),
                quality: Some(4),
            })
            .unwrap(),
            json!({ "userId": u, "topicId": t, "flashcardId": c, "quality": 4 })
        );
        assert_eq!(
            serde_json::to_value(StreakAtRisk {
                user_id: u,
                streak: 5,
                freezes: 1,
                local_date: chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            })
            .unwrap(),
            json!({ "userId": u, "streak": 5, "freezes": 1, "localDate": "2026-11-26" })
        );
        assert_eq!(
            serde_json::to_value(BattleFinished {
                room_id: c,
                topic_id: None,
                question_count: 5,
                players: vec![FinishedPlayer {
                    user_id: u,
                    rank: 1,
                    score: 4321,
                    correct_count: 5,
                }],
            })
            .unwrap(),
            json!({ "roomId": c, "topicId": null, "questionCount": 5,
                    "players": [{ "userId": u, "rank": 1, "score": 4321, "correctCount": 5 }] })
        );
    }

    /// Rows written without the fields no reader required (seeds, tests, older emitters)
    /// still parse.
    #[test]
    fn rows_without_optional_fields_still_parse() {
        let u = Uuid::now_v7();
        let minimal = json!({ "userId": u });
        let reviewed: FlashcardReviewed = serde_json::from_value(minimal.clone()).unwrap();
        assert_eq!((reviewed.topic_id, reviewed.quality), (None, None));
        let completed: TopicCompleted = serde_json::from_value(minimal.clone()).unwrap();
        assert_eq!(completed.topic_id, None);
        let word: WordMastered = serde_json::from_value(minimal).unwrap();
        assert_eq!(word.user_id, u);
        let due: FlashcardsDue =
            serde_json::from_value(json!({ "userId": u, "dueCount": 3 })).unwrap();
        assert_eq!(due.local_date, None);
        let risk: StreakAtRisk =
            serde_json::from_value(json!({ "userId": u, "streak": 5, "localDate": "2026-11-26" }))
                .unwrap();
        assert_eq!(risk.freezes, 0);
        let unlocked: AchievementUnlocked = serde_json::from_value(
            json!({ "userId": u, "achievementKey": "k", "name": "n", "description": "d" }),
        )
        .unwrap();
        assert_eq!(unlocked.unlocked_at, None);
        let published: QuestionPublished =
            serde_json::from_value(json!({ "questionId": u, "topicId": u })).unwrap();
        assert_eq!(published.author_id, None);
    }
}
