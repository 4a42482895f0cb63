//! The battle domain's settings, flattened into the `agora` CLI; the server puts them in the
//! schema data and hands them to the [`driver`](crate::driver).

use std::time::Duration;

use agora_platform::{AppError, AppResult};

/// Battle timings.
#[derive(Debug, Clone, clap::Args)]
pub struct BattleSettings {
    /// Pause between a battle question's reveal and the next question.
    #[arg(long = "battle-reveal-pause", env = "AGORA_BATTLE_REVEAL_PAUSE", default_value = "3s",
          global = true, value_parser = agora_platform::config::parse_duration)]
    pub battle_reveal_pause: Duration,

    /// A quick-match lobby starts this long after its second player joined (or when full).
    #[arg(long = "quick-match-wait", env = "AGORA_QUICK_MATCH_WAIT", default_value = "30s",
          global = true, value_parser = agora_platform::config::parse_duration)]
    pub quick_match_wait: Duration,

    /// A battle lobby without activity for this long is cancelled.
    #[arg(long = "lobby-idle-timeout", env = "AGORA_LOBBY_IDLE_TIMEOUT", default_value = "10m",
          global = true, value_parser = agora_platform::config::parse_duration)]
    pub lobby_idle_timeout: Duration,
}

impl BattleSettings {
    /// The settings the server put in the schema data (`INTERNAL` if it forgot them).
    pub(crate) fn of<'a>(ctx: &async_graphql::Context<'a>) -> AppResult<&'a Self> {
        ctx.data::<Self>()
            .map_err(|_| AppError::internal("BattleSettings missing from the schema data"))
    }

    /// [`Self::battle_reveal_pause`] on the database's clock.
    pub(crate) fn reveal_pause(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.battle_reveal_pause).unwrap_or(chrono::Duration::seconds(3))
    }

    /// [`Self::quick_match_wait`] on the database's clock.
    pub(crate) fn quick_match_wait(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.quick_match_wait).unwrap_or(chrono::Duration::seconds(30))
    }

    /// [`Self::lobby_idle_timeout`] on the database's clock.
    pub(crate) fn lobby_idle(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.lobby_idle_timeout).unwrap_or(chrono::Duration::minutes(10))
    }
}

#[cfg(test)]
mod tests {
    use agora_platform::config::parse_args;

    use super::*;

    fn parse(args: &[&str]) -> Result<BattleSettings, String> {
        parse_args(args.iter().copied()).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_the_documented_timings() {
        let settings = parse(&[]).expect("defaults");
        assert_eq!(settings.reveal_pause(), chrono::Duration::seconds(3));
        assert_eq!(settings.quick_match_wait(), chrono::Duration::seconds(30));
    }

    #[test]
    fn a_zero_or_unreadable_pause_is_refused_naming_the_flag() {
        let err = parse(&["--battle-reveal-pause", "0s"]).expect_err("zero");
        assert!(
            err.contains("--battle-reveal-pause") && err.contains("greater than zero"),
            "{err}"
        );
        let err = parse(&["--quick-match-wait", "soon"]).expect_err("not a duration");
        assert!(
            err.contains("--quick-match-wait") && err.contains("not a duration"),
            "{err}"
        );
    }

    #[test]
    fn the_environment_sets_a_timing_and_a_flag_overrides_it() {
        // The only test that depends on AGORA_LOBBY_IDLE_TIMEOUT, so setting it races no other.
        // SAFETY: std serialises its own environment access, and nothing in this test binary
        // reads the environment outside std (clap reads it through `std::env`).
        unsafe { std::env::set_var("AGORA_LOBBY_IDLE_TIMEOUT", "90s") };
        let from_env = parse(&[]).expect("parses");
        let from_flag = parse(&["--lobby-idle-timeout", "2m"]).expect("parses");
        unsafe { std::env::remove_var("AGORA_LOBBY_IDLE_TIMEOUT") };
        assert_eq!(from_env.lobby_idle(), chrono::Duration::seconds(90));
        assert_eq!(from_flag.lobby_idle(), chrono::Duration::minutes(2));
    }
}
