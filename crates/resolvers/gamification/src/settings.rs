//! The gamification domain's settings, flattened into the `agora` CLI; the server passes them
//! to [`api::outbox_handlers`](crate::api::outbox_handlers).

/// How the points handler spreads its work.
#[derive(Debug, Clone, clap::Args)]
pub struct GamificationSettings {
    /// Partitions of the points handler: each applies the awards of its share of the users,
    /// in its own transaction, so batches on different workers overlap without waiting for
    /// each other's per-user rows. Changing it is safe: the ledger's unique key stops a
    /// re-delivered event from awarding twice.
    #[arg(
        long = "points-partitions",
        env = "AGORA_POINTS_PARTITIONS",
        default_value_t = 2,
        global = true,
        value_parser = clap::value_parser!(u32).range(1..=16)
    )]
    pub points_partitions: u32,
}

#[cfg(test)]
mod tests {
    use agora_platform::config::parse_args;

    use super::*;

    fn parse(args: &[&str]) -> Result<GamificationSettings, String> {
        parse_args(args.iter().copied()).map_err(|e| e.to_string())
    }

    #[test]
    fn points_partitions_are_bounded() {
        assert_eq!(parse(&[]).expect("defaults").points_partitions, 2);
        for bad in ["0", "17"] {
            let err = parse(&["--points-partitions", bad]).expect_err("out of range");
            assert!(
                err.contains("--points-partitions") && err.contains("1..=16"),
                "{bad}: {err}"
            );
        }
        assert_eq!(
            parse(&["--points-partitions", "16"])
                .expect("parses")
                .points_partitions,
            16
        );
    }
}
