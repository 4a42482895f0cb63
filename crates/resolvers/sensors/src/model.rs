//! The vocabulary of the domain: parameters, providers, series buckets, alert-rule states,
//! forecast methods.

/// A measured parameter: the six AQI pollutants plus temperature and humidity.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    async_graphql::Enum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Pollutant {
    /// Fine particulate matter (≤ 2.5 µm), µg/m³.
    #[graphql(name = "PM25")]
    Pm25,
    /// Coarse particulate matter (≤ 10 µm), µg/m³.
    #[graphql(name = "PM10")]
    Pm10,
    /// Ozone, ppb.
    #[graphql(name = "O3")]
    O3,
    /// Nitrogen dioxide, ppb.
    #[graphql(name = "NO2")]
    No2,
    /// Sulphur dioxide, ppb.
    #[graphql(name = "SO2")]
    So2,
    /// Carbon monoxide, ppm.
    #[graphql(name = "CO")]
    Co,
    /// Air temperature, °C.
    #[graphql(name = "TEMPERATURE")]
    Temperature,
    /// Relative humidity, %.
    #[graphql(name = "HUMIDITY")]
    Humidity,
}

impl Pollutant {
    /// Every parameter.
    pub const ALL: [Pollutant; 8] = [
        Self::Pm25,
        Self::Pm10,
        Self::O3,
        Self::No2,
        Self::So2,
        Self::Co,
        Self::Temperature,
        Self::Humidity,
    ];

    /// Stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pm25 => "PM25",
            Self::Pm10 => "PM10",
            Self::O3 => "O3",
            Self::No2 => "NO2",
            Self::So2 => "SO2",
            Self::Co => "CO",
            Self::Temperature => "TEMPERATURE",
            Self::Humidity => "HUMIDITY",
        }
    }

    /// Parses the stored form.
    pub fn parse(v: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == v)
    }

    /// The unit values are stored in.
    pub fn canonical_unit(self) -> &'static str {
        match self {
            Self::Pm25 | Self::Pm10 => "µg/m³",
            Self::O3 | Self::No2 | Self::So2 => "ppb",
            Self::Co => "ppm",
            Self::Temperature => "°C",
            Self::Humidity => "%",
        }
    }

    /// The canonical unit of a stored parameter name (empty for an unknown one).
    pub fn unit_of(stored: &str) -> &'static str {
        Self::parse(stored).map_or("", Self::canonical_unit)
    }

    /// Whether it enters the AQI.
    pub fn is_pollutant(self) -> bool {
        !matches!(self, Self::Temperature | Self::Humidity)
    }
}

/// Who makes a station's hardware, which decides the payload shape it pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum Provider {
    /// Any device using `ingestReadings`.
    Generic,
    /// A PurpleAir sensor (`POST /ingest/purpleair`).
    Purpleair,
    /// An AirQo device (`POST /ingest/airqo`).
    Airqo,
}

impl Provider {
    /// Stored and wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Generic => "GENERIC",
            Self::Purpleair => "PURPLEAIR",
            Self::Airqo => "AIRQO",
        }
    }

    /// Parses the stored form.
    pub fn parse(v: &str) -> Option<Self> {
        [Self::Generic, Self::Purpleair, Self::Airqo]
            .into_iter()
            .find(|p| p.as_str() == v)
    }
}

/// The width of a series bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
pub enum Bucket {
    /// Five minutes.
    #[graphql(name = "MINUTE_5")]
    Minute5,
    /// One hour.
    Hour,
    /// One UTC day.
    Day,
}

impl Bucket {
    /// The bucket width in seconds.
    pub fn seconds(self) -> i64 {
        match self {
            Self::Minute5 => 300,
            Self::Hour => 3_600,
            Self::Day => 86_400,
        }
    }
}

/// Where an alert rule stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
#[graphql(remote = "agora_entities::sensors::alert_rule::State")]
pub enum AlertRuleState {
    /// The condition is not met.
    Ok,
    /// The condition is met, not yet for `forMinutes`.
    Pending,
    /// The condition has held for `forMinutes`: an alert is open.
    Firing,
}

/// How a forecast was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum ForecastMethod {
    /// Holt-Winters with additive damped trend and a daily season (two days of history or more).
    HoltWintersAdditiveDamped,
    /// Simple exponential smoothing (under two days of history).
    SimpleExponentialSmoothing,
}
