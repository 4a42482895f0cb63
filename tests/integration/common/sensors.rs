//! Sensor builders: stations with their device keys, readings, ingestion.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{TestServer, assert_no_errors};

/// Creates a station (`$i`: `CreateStationInput`).
pub const CREATE_STATION: &str =
    "mutation($i: CreateStationInput!) { createStation(input: $i) { id name country provider } }";
/// Creates a device key for station `$id`.
pub const CREATE_KEY: &str =
    "mutation($id: ID!) { createStationKey(stationId: $id) { secret apiKey { scopes } } }";
/// Ingests readings `$r` for station `$id`.
pub const INGEST: &str = "mutation($id: ID!, $r: [ReadingInput!]!) { ingestReadings(stationId: $id, readings: $r) { accepted duplicates rejected { index reason } } }";

/// One reading input.
pub fn reading(parameter: &str, value: f64, at: DateTime<Utc>) -> Value {
    json!({ "parameter": parameter, "value": value, "observedAt": at.to_rfc3339() })
}

/// A station and the secret of its device key.
pub struct Station {
    pub id: String,
    pub key: String,
}

/// Creates a station in Kenya at (`lat`, `lon`) with a device key.
pub async fn station(server: &TestServer, admin: &str, name: &str, lat: f64, lon: f64) -> Station {
    let body = server
        .gql_as(
            admin,
            CREATE_STATION,
            json!({ "i": { "name": name, "latitude": lat, "longitude": lon, "city": name, "country": "ke" } }),
        )
        .await;
    assert_no_errors(&body);
    let id = body["data"]["createStation"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let key = server.gql_as(admin, CREATE_KEY, json!({ "id": id })).await;
    assert_no_errors(&key);
    assert_eq!(
        key["data"]["createStationKey"]["apiKey"]["scopes"],
        json!(["SENSORS_WRITE"])
    );
    Station {
        id,
        key: key["data"]["createStationKey"]["secret"]
            .as_str()
            .expect("secret")
            .to_owned(),
    }
}

/// Ingests `readings` with the station's device key; returns the `ingestReadings` payload.
pub async fn ingest(server: &TestServer, s: &Station, readings: Vec<Value>) -> Value {
    let body = server
        .gql_with(
            INGEST,
            json!({ "id": s.id, "r": readings }),
            &[("x-api-key", s.key.as_str())],
        )
        .await;
    assert_no_errors(&body);
    body["data"]["ingestReadings"].clone()
}
