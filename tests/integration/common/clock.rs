//! Servers on a manual clock.

use agora_platform::clock::ManualClock;
use chrono::{DateTime, TimeZone, Utc};

use super::{ServerOptions, TestServer};

/// A fixed Monday, 10:00 UTC (2026-03-02): the start of every clocked test.
pub fn monday_morning() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
}

/// A server on a manual clock set to `monday_morning()`, with tokens that outlive the days
/// tests skip.
pub async fn clocked() -> (TestServer, ManualClock) {
    let clock = ManualClock::new(monday_morning());
    // Tokens outlive the days these tests skip.
    let server = TestServer::start_with(ServerOptions {
        clock: Some(clock.clone()),
        args: vec!["--access-token-ttl".into(), "60d".into()],
        ..Default::default()
    })
    .await;
    (server, clock)
}
