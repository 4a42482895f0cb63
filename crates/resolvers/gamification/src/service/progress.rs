//! A user's progress as the API shows it: totals, level, the streak as of today in their
//! zone, recent awards, and the share card.

use agora_entities::gamification::{point_award, user_progress};
use agora_platform::AppResult;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use url::Url;
use uuid::Uuid;

use super::{levels, parse_date, streaks::Streak, zone};

/// Totals of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Progress {
    /// The user.
    pub user_id: Uuid,
    /// All-time points (= XP).
    pub points: i64,
    /// Level.
    pub level: i32,
    /// Streak as of today in the user's zone (0 once broken).
    pub streak: i32,
    /// Longest streak.
    pub longest_streak: i32,
    /// Freezes held.
    pub freezes: i32,
    /// Whether today already counts.
    pub active_today: bool,
    /// The zone days are counted in.
    pub time_zone: String,
}

/// `user`'s progress at `now` (all zeros before their first award).
pub(crate) async fn load<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    now: DateTime<Utc>,
) -> AppResult<Progress> {
    let row = user_progress::Entity::find_by_id(user).one(db).await?;
    let Some(row) = row else {
        return Ok(Progress {
            user_id: user,
            points: 0,
            level: 1,
            streak: 0,
            longest_streak: 0,
            freezes: 0,
            active_today: false,
            time_zone: "UTC".into(),
        });
    };
    let today = now.with_timezone(&zone(&row.time_zone)).date_naive();
    let streak = Streak {
        current: row.current_streak,
        longest: row.longest_streak,
        freezes: row.freezes,
        last_active: row.last_active_date.as_deref().and_then(parse_date),
    };
    Ok(Progress {
        user_id: user,
        points: row.points,
        level: row.level.max(levels::level_for(row.points)),
        streak: streak.current_on(today),
        longest_streak: row.longest_streak,
        freezes: row.freezes,
        active_today: streak.last_active == Some(today),
        time_zone: row.time_zone,
    })
}

/// The newest awards of `user`.
pub(crate) async fn recent_awards<C: ConnectionTrait>(
    db: &C,
    user: Uuid,
    limit: u64,
) -> AppResult<Vec<point_award::Model>> {
    Ok(point_award::Entity::find()
        .filter(point_award::Column::UserId.eq(user))
        .order_by_desc(point_award::Column::OccurredAt)
        .order_by_desc(point_award::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// A shareable summary of someone's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShareCard {
    /// The post's text.
    pub text: String,
    /// The profile page it links to.
    pub url: String,
    /// Twitter/X's web intent with the text and link filled in.
    pub twitter_url: String,
    /// LinkedIn's share dialog for the link.
    pub linkedin_url: String,
}

/// The share card of `display_name` with `progress`, linking to `profile_url`.
pub(crate) fn share_card(
    display_name: &str,
    progress: &Progress,
    unlocked: usize,
    profile_url: &str,
) -> ShareCard {
    let streak = match progress.streak {
        0 => String::new(),
        1 => " and a 1-day streak".into(),
        n => format!(" and a {n}-day streak"),
    };
    let achievements = match unlocked {
        0 => String::new(),
        1 => ", 1 achievement".into(),
        n => format!(", {n} achievements"),
    };
    let text = format!(
        "{display_name} is level {} on Agora with {} points{achievements}{streak}. Can you beat that?",
        progress.level,
        group_thousands(progress.points),
    );
    let twitter_url = Url::parse_with_params(
        "https://twitter.com/intent/tweet",
        [("text", text.as_str()), ("url", profile_url)],
    )
    .map(String::from)
    .unwrap_or_default();
    let linkedin_url = Url::parse_with_params(
        "https://www.linkedin.com/sharing/share-offsite/",
        [("url", profile_url)],
    )
    .map(String::from)
    .unwrap_or_default();
    ShareCard {
        text,
        url: profile_url.to_owned(),
        twitter_url,
        linkedin_url,
    }
}

fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_share_card_escapes_its_links() {
        let progress = Progress {
            user_id: Uuid::nil(),
            points: 12_345,
            level: 15,
            streak: 9,
            longest_streak: 9,
            freezes: 1,
            active_today: true,
            time_zone: "UTC".into(),
        };
        let card = share_card("Ada & co", &progress, 3, "https://agora.test/u/1");
        assert_eq!(
            card.text,
            "Ada & co is level 15 on Agora with 12,345 points, 3 achievements and a 9-day streak. Can you beat that?"
        );
        assert!(
            card.twitter_url
                .starts_with("https://twitter.com/intent/tweet?text=Ada+%26+co+is+level+15")
        );
        assert!(
            card.twitter_url
                .ends_with("&url=https%3A%2F%2Fagora.test%2Fu%2F1")
        );
        assert_eq!(
            card.linkedin_url,
            "https://www.linkedin.com/sharing/share-offsite/?url=https%3A%2F%2Fagora.test%2Fu%2F1"
        );
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1_000), "1,000");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
    }
}
