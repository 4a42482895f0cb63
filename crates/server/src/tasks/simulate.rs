//! `agora simulate-sensors`: feeds realistic readings to a running server through its public
//! API, as real devices would: signs in as an admin, registers (or reuses) simulated stations,
//! creates a device key for each and pushes one sample per station every interval with
//! `ingestReadings` under that key.

use std::time::Duration;

use agora_sensors::api::{Simulator, StationProfile};
use anyhow::{Context as _, bail};
use serde_json::{Value, json};

/// Where and how to simulate.
#[derive(Debug, Clone)]
pub struct SimulateOptions {
    /// The server's base URL, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    /// Admin e-mail.
    pub email: String,
    /// Admin password.
    pub password: String,
    /// Stations to simulate.
    pub stations: usize,
    /// Time between samples.
    pub interval: Duration,
    /// Rounds to send; none means until interrupted.
    pub rounds: Option<u64>,
}

/// Cities the simulated stations are spread over: (name, latitude, longitude, country, base
/// PM2.5, UTC offset).
const CITIES: [(&str, f64, f64, &str, f64, i32); 8] = [
    ("Nairobi", -1.29, 36.82, "KE", 28.0, 3),
    ("Kampala", 0.34, 32.58, "UG", 40.0, 3),
    ("Lagos", 6.52, 3.38, "NG", 45.0, 1),
    ("Delhi", 28.61, 77.21, "IN", 90.0, 5),
    ("Jakarta", -6.20, 106.85, "ID", 35.0, 7),
    ("Mexico City", 19.43, -99.13, "MX", 22.0, -6),
    ("Paris", 48.86, 2.35, "FR", 10.0, 1),
    ("Denver", 39.74, -104.99, "US", 7.0, -7),
];

struct Client {
    http: reqwest::Client,
    endpoint: String,
}

impl Client {
    async fn call(
        &self,
        auth: (&str, &str),
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        let response: Value = self
            .http
            .post(&self.endpoint)
            .header(auth.0, auth.1)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .with_context(|| format!("POST {}", self.endpoint))?
            .json()
            .await
            .context("reading the answer")?;
        if let Some(errors) = response.get("errors") {
            bail!("the server refused: {errors}");
        }
        Ok(response["data"].clone())
    }
}

/// Runs the simulation until `rounds` are sent or the process is interrupted.
pub async fn run(options: SimulateOptions) -> anyhow::Result<()> {
    if options.stations == 0 {
        bail!("--stations must be at least 1");
    }
    let client = Client {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?,
        endpoint: format!("{}/graphql", options.url.trim_end_matches('/')),
    };
    let login = client
        .call(
            ("x-agora-simulator", "1"),
            "mutation($input: LoginInput!) { login(input: $input) { accessToken } }",
            json!({ "input": { "email": options.email, "password": options.password } }),
        )
        .await
        .context("signing in (pass an admin's --email and --password)")?;
    let token = login["login"]["accessToken"]
        .as_str()
        .context("no access token in the login answer")?
        .to_owned();
    let bearer = format!("Bearer {token}");
    let mut devices = Vec::new();
    for n in 0..options.stations {
        let (city, lat, lon, country, base, offset) = CITIES[n % CITIES.len()];
        let name = format!("Simulated {city} #{}", n + 1);
        let jitter = (n / CITIES.len()) as f64 * 0.01;
        let created = client
            .call(
                ("authorization", &bearer),
                "mutation($input: CreateStationInput!) { createStation(input: $input) { id } }",
                json!({ "input": {
                    "name": name, "latitude": lat + jitter, "longitude": lon + jitter,
                    "city": city, "country": country, "provider": "GENERIC"
                } }),
            )
            .await?;
        let id = created["createStation"]["id"]
            .as_str()
            .context("no station id")?
            .to_owned();
        let key = client
            .call(
                ("authorization", &bearer),
                "mutation($id: ID!) { createStationKey(stationId: $id) { secret } }",
                json!({ "id": id }),
            )
            .await?;
        let secret = key["createStationKey"]["secret"]
            .as_str()
            .context("no key secret")?
            .to_owned();
        // The last station's PM2.5 sensor sticks after a while: the anomaly flags have
        // something to find.
        let stuck = (n + 1 == options.stations && options.stations > 1).then_some(120);
        let simulator = Simulator::new(StationProfile {
            base_pm25: base,
            seed: 7_000 + n as u64,
            stuck_pm25_after: stuck,
            utc_offset_hours: offset,
        });
        tracing::info!(station = %name, %id, "simulated station registered");
        devices.push((id, secret, simulator));
    }
    let mut ticker = tokio::time::interval(options.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut round: u64 = 0;
    let mut sent: u64 = 0;
    loop {
        if options.rounds.is_some_and(|r| round >= r) {
            break;
        }
        tokio::select! {
            _ = ticker.tick() => {}
            _ = tokio::signal::ctrl_c() => break,
        }
        let now = chrono::Utc::now();
        for (id, secret, simulator) in &mut devices {
            let readings: Vec<Value> = simulator
                .sample(now)
                .into_iter()
                .map(|(parameter, value)| {
                    json!({
                        "parameter": parameter.as_str(),
                        "value": value,
                        "observedAt": now.to_rfc3339(),
                    })
                })
                .collect();
            let answer = client
                .call(
                    ("x-api-key", secret),
                    "mutation($id: ID!, $readings: [ReadingInput!]!) { \
                       ingestReadings(stationId: $id, readings: $readings) { accepted duplicates rejected { index reason } } }",
                    json!({ "id": id, "readings": readings }),
                )
                .await;
            match answer {
                Ok(data) => sent += data["ingestReadings"]["accepted"].as_u64().unwrap_or(0),
                Err(err) => tracing::warn!(station = %id, error = %err, "ingest failed"),
            }
        }
        round += 1;
        if round.is_multiple_of(10) || options.rounds == Some(round) {
            tracing::info!(round, readings = sent, "simulation progress");
        }
    }
    tracing::info!(rounds = round, readings = sent, "simulation finished");
    Ok(())
}
