//! The `agora` configuration: every field a `--flag` and an environment variable.
//!
//! A bad value stops start-up with one line that names the variable, e.g.
//! `AGORA_BIND: invalid socket address "x"`.

use std::{net::SocketAddr, time::Duration};

use clap::{Args, ValueEnum};

/// Deployment environment; production tightens defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    /// Laptops and tests: random JWT secret allowed, introspection on, pretty logs.
    Development,
    /// Real deployments: JWT secret required, introspection and suggestions off, JSON logs.
    Production,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable, coloured.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Everything `agora` reads from flags or the environment.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address the HTTP server listens on.
    #[arg(long = "bind", env = "AGORA_BIND", default_value = "0.0.0.0:8080", global = true,
          value_parser = parse_bind)]
    pub bind: SocketAddr,

    /// Database URL: `sqlite://FILE?mode=rwc` (embedded) or `postgres://...` (production).
    #[arg(long = "database-url", env = "DATABASE_URL", default_value = "sqlite://agora.db?mode=rwc",
          global = true, value_parser = parse_database_url)]
    pub database_url: String,

    /// Largest database pool (defaults: 20 on PostgreSQL, 8 on SQLite).
    #[arg(
        long = "db-max-connections",
        env = "AGORA_DB_MAX_CONNECTIONS",
        global = true
    )]
    pub db_max_connections: Option<u32>,

    /// Connections the pool keeps open when idle.
    #[arg(
        long = "db-min-connections",
        env = "AGORA_DB_MIN_CONNECTIONS",
        default_value_t = 1,
        global = true
    )]
    pub db_min_connections: u32,

    /// Redis URL; unset runs the bus, leaderboards, caches and rate limits in process.
    #[arg(long = "redis-url", env = "REDIS_URL", global = true, value_parser = parse_redis_url)]
    pub redis_url: Option<String>,

    /// Prefix for every Redis key and channel, so deployments (or test runs) can share a Redis.
    #[arg(
        long = "redis-prefix",
        env = "AGORA_REDIS_PREFIX",
        default_value = "agora",
        global = true
    )]
    pub redis_prefix: String,

    /// `development` or `production`.
    #[arg(
        long = "env",
        env = "AGORA_ENV",
        value_enum,
        default_value = "development",
        global = true
    )]
    pub environment: Environment,

    /// HS256 secret for access tokens, at least 32 bytes; required in production.
    #[arg(
        long = "jwt-secret",
        env = "AGORA_JWT_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub jwt_secret: Option<String>,

    /// Access-token lifetime, e.g. `15m`.
    #[arg(long = "access-token-ttl", env = "AGORA_ACCESS_TOKEN_TTL", default_value = "15m",
          global = true, value_parser = parse_ttl_access)]
    pub access_token_ttl: Duration,

    /// Refresh-token lifetime, e.g. `30d`.
    #[arg(long = "refresh-token-ttl", env = "AGORA_REFRESH_TOKEN_TTL", default_value = "30d",
          global = true, value_parser = parse_ttl_refresh)]
    pub refresh_token_ttl: Duration,

    /// `pretty` or `json` (default: pretty in development, json in production).
    #[arg(
        long = "log-format",
        env = "AGORA_LOG_FORMAT",
        value_enum,
        global = true
    )]
    pub log_format: Option<LogFormat>,

    /// Base URL of the web app, used in links sent by mail.
    #[arg(
        long = "public-url",
        env = "AGORA_PUBLIC_URL",
        default_value = "http://localhost:8080",
        global = true
    )]
    pub public_url: String,

    /// SMTP server for outgoing mail, e.g. `smtp://relay:25`, `smtp://user:pass@host?tls=required`
    /// (STARTTLS) or `smtps://user:pass@host` (TLS); unset logs mail instead of sending it.
    #[arg(
        long = "smtp-url",
        env = "SMTP_URL",
        global = true,
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,

    /// Sender of outgoing mail (`Name <address>` or `address`).
    #[arg(
        long = "mail-from",
        env = "MAIL_FROM",
        default_value = "Agora <no-reply@agora.local>",
        global = true
    )]
    pub mail_from: String,

    /// Push gateway webhook: each push is POSTed there as JSON; unset logs pushes instead.
    #[arg(long = "push-webhook-url", env = "PUSH_WEBHOOK_URL", global = true)]
    pub push_webhook_url: Option<String>,

    /// Allow schema introspection (default: on in development, off in production).
    #[arg(long = "introspection", env = "AGORA_INTROSPECTION", global = true)]
    pub introspection: Option<bool>,

    /// Suggest field names in validation errors (default: on in development, off in production).
    #[arg(
        long = "field-suggestions",
        env = "AGORA_FIELD_SUGGESTIONS",
        global = true
    )]
    pub field_suggestions: Option<bool>,

    /// Largest request body in bytes.
    #[arg(
        long = "max-body-bytes",
        env = "AGORA_MAX_BODY_BYTES",
        default_value_t = 1_048_576,
        global = true
    )]
    pub max_body_bytes: usize,

    /// Deepest selection nesting a query may have.
    #[arg(
        long = "max-depth",
        env = "AGORA_MAX_DEPTH",
        default_value_t = 12,
        global = true
    )]
    pub max_depth: usize,

    /// Highest complexity score a query may have (each field 1, lists multiply by page size).
    #[arg(
        long = "max-complexity",
        env = "AGORA_MAX_COMPLEXITY",
        default_value_t = 5_000,
        global = true
    )]
    pub max_complexity: usize,

    /// Deepest recursion the parser allows (fragments and nested input values).
    #[arg(
        long = "max-recursion",
        env = "AGORA_MAX_RECURSION",
        default_value_t = 32,
        global = true
    )]
    pub max_recursion: usize,

    /// Longest a request may run before it is answered with 408/timeout.
    #[arg(long = "request-timeout", env = "AGORA_REQUEST_TIMEOUT", default_value = "30s",
          global = true, value_parser = parse_ttl_timeout)]
    pub request_timeout: Duration,

    /// Longest an operation may execute before it is answered with a `TIMEOUT` error.
    #[arg(long = "execution-timeout", env = "AGORA_EXECUTION_TIMEOUT", default_value = "10s",
          global = true, value_parser = parse_execution_timeout)]
    pub execution_timeout: Duration,

    /// Most aliases an operation may use (fragments counted where they are spread).
    #[arg(
        long = "max-aliases",
        env = "AGORA_MAX_ALIASES",
        default_value_t = 30,
        global = true
    )]
    pub max_aliases: usize,

    /// Most directives an operation may use.
    #[arg(
        long = "max-directives",
        env = "AGORA_MAX_DIRECTIVES",
        default_value_t = 50,
        global = true
    )]
    pub max_directives: usize,

    /// Most lexical tokens a document may have (counted before it is parsed).
    #[arg(
        long = "max-tokens",
        env = "AGORA_MAX_TOKENS",
        default_value_t = 5_000,
        global = true
    )]
    pub max_tokens: usize,

    /// Largest GraphQL document in bytes (the `query` string, apart from the JSON body limit).
    #[arg(
        long = "max-document-bytes",
        env = "AGORA_MAX_DOCUMENT_BYTES",
        default_value_t = 100_000,
        global = true
    )]
    pub max_document_bytes: usize,

    /// Most operations in one batched HTTP request; 0 refuses batches.
    #[arg(
        long = "max-batch",
        env = "AGORA_MAX_BATCH",
        default_value_t = 0,
        global = true,
        value_parser = clap::value_parser!(u16).range(0..=10)
    )]
    pub max_batch: u16,

    /// Require every operation to be a trusted document (production lock-down); partner keys
    /// are always held to trusted documents.
    #[arg(
        long = "require-trusted-documents",
        env = "AGORA_REQUIRE_TRUSTED_DOCUMENTS",
        default_value_t = false,
        global = true,
        action = clap::ArgAction::Set
    )]
    pub require_trusted_documents: bool,

    /// Automatic persisted queries kept in the embedded mode's in-process cache (LRU).
    #[arg(
        long = "apq-cache-size",
        env = "AGORA_APQ_CACHE_SIZE",
        default_value_t = 1_000,
        global = true,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub apq_cache_size: u32,

    /// How long Redis keeps an automatic persisted query after its last use.
    #[arg(long = "apq-ttl", env = "AGORA_APQ_TTL", default_value = "24h", global = true,
          value_parser = parse_apq_ttl)]
    pub apq_ttl: Duration,

    /// Requests per minute from one client IP address (token bucket; 0 disables).
    #[arg(
        long = "rate-limit-ip",
        env = "AGORA_RATE_LIMIT_IP",
        default_value_t = 1_200,
        global = true
    )]
    pub rate_limit_ip: u32,

    /// GraphQL operations per minute by one signed-in user (token bucket; 0 disables).
    #[arg(
        long = "rate-limit-user",
        env = "AGORA_RATE_LIMIT_USER",
        default_value_t = 600,
        global = true
    )]
    pub rate_limit_user: u32,

    /// GraphQL operations per minute by one API key (token bucket; 0 disables).
    #[arg(
        long = "rate-limit-key",
        env = "AGORA_RATE_LIMIT_KEY",
        default_value_t = 600,
        global = true
    )]
    pub rate_limit_key: u32,

    /// Failed `login`, `register`, `resetPassword` and `changePassword` attempts, and every
    /// `requestPasswordReset`, per minute from one IP address (token bucket; 0 disables).
    /// Successful sign-ins and sign-ups cost nothing, so a classroom behind one school address
    /// is never refused; an operation with several of these fields pays for each up front.
    #[arg(
        long = "rate-limit-auth",
        env = "AGORA_RATE_LIMIT_AUTH",
        default_value_t = 20,
        global = true
    )]
    pub rate_limit_auth: u32,

    /// Open WebSocket connections allowed from one IP address, per replica (0 disables).
    #[arg(
        long = "ws-connections-per-ip",
        env = "AGORA_WS_CONNECTIONS_PER_IP",
        default_value_t = 200,
        global = true
    )]
    pub ws_connections_per_ip: u32,

    /// How long a WebSocket may wait before `connection_init` (then it is closed with 4408).
    #[arg(long = "ws-init-timeout", env = "AGORA_WS_INIT_TIMEOUT", default_value = "3s",
          global = true, value_parser = parse_ws_init_timeout)]
    pub ws_init_timeout: Duration,

    /// Most operations one WebSocket may have running at once.
    #[arg(
        long = "ws-max-subscriptions",
        env = "AGORA_WS_MAX_SUBSCRIPTIONS",
        default_value_t = 100,
        global = true
    )]
    pub ws_max_subscriptions: usize,

    /// Largest WebSocket message a client may send, in bytes (larger closes with 1009).
    #[arg(
        long = "ws-max-message-bytes",
        env = "AGORA_WS_MAX_MESSAGE_BYTES",
        default_value_t = 65_536,
        global = true
    )]
    pub ws_max_message_bytes: usize,

    /// Origins allowed to call the API from a browser, comma-separated (`*` allows any);
    /// default: any origin in development, none in production.
    #[arg(
        long = "cors-origins",
        env = "AGORA_CORS_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub cors_origins: Option<Vec<String>>,

    /// Header carrying the client address when behind a proxy (e.g. `x-forwarded-for`);
    /// unset uses the socket peer address. Read only on connections from
    /// `AGORA_TRUSTED_PROXIES`, right to left, skipping trusted addresses: the first other
    /// address is the client.
    #[arg(
        long = "client-ip-header",
        env = "AGORA_CLIENT_IP_HEADER",
        global = true
    )]
    pub client_ip_header: Option<String>,

    /// Bearer token a Prometheus scraper must send for `/metrics`; unset leaves `/metrics`
    /// open (keep it off the public listener then).
    #[arg(long = "metrics-token", env = "AGORA_METRICS_TOKEN", global = true)]
    pub metrics_token: Option<String>,

    /// Proxy addresses or networks (e.g. `10.0.0.5,172.28.0.0/24`) whose client-address header
    /// is believed; required with `AGORA_CLIENT_IP_HEADER`. A header arriving from any other
    /// peer is ignored, so a client cannot choose its own rate-limit bucket.
    #[arg(
        long = "trusted-proxies",
        env = "AGORA_TRUSTED_PROXIES",
        value_delimiter = ',',
        value_parser = parse_network,
        global = true
    )]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Delivery attempts before an outbox event is parked for an operator.
    #[arg(
        long = "outbox-max-attempts",
        env = "AGORA_OUTBOX_MAX_ATTEMPTS",
        default_value_t = 10,
        global = true
    )]
    pub outbox_max_attempts: i32,

    /// Outbox events claimed at a time; each handler applies a claim in one transaction.
    #[arg(
        long = "outbox-batch",
        env = "AGORA_OUTBOX_BATCH",
        default_value_t = 500,
        global = true
    )]
    pub outbox_batch: u32,

    /// Outbox batches a replica applies at once (PostgreSQL; SQLite has one writer). Four keep
    /// two cores busy: a batch's transaction waits on its round trips and on the row locks of
    /// the batch ahead of it in the same points partition.
    #[arg(
        long = "outbox-workers",
        env = "AGORA_OUTBOX_WORKERS",
        default_value_t = 4,
        global = true
    )]
    pub outbox_workers: usize,

    /// Partitions of the points handler: each applies the awards of its share of the users,
    /// in its own transaction, so batches on different workers overlap without waiting for
    /// each other's per-user rows. Changing it is safe: the ledger's unique key stops a
    /// re-delivered event from awarding twice.
    #[arg(
        long = "points-partitions",
        env = "AGORA_POINTS_PARTITIONS",
        default_value_t = 2,
        global = true
    )]
    pub points_partitions: u32,

    /// One deadline, from the shutdown signal, for in-flight requests, the outbox's last pass
    /// and the background workers.
    #[arg(long = "shutdown-timeout", env = "AGORA_SHUTDOWN_TIMEOUT", default_value = "20s",
          global = true, value_parser = parse_ttl_shutdown)]
    pub shutdown_timeout: Duration,

    /// Pause between a battle question's reveal and the next question.
    #[arg(long = "battle-reveal-pause", env = "AGORA_BATTLE_REVEAL_PAUSE", default_value = "3s",
          global = true, value_parser = parse_reveal_pause)]
    pub battle_reveal_pause: Duration,

    /// A quick-match lobby starts this long after its second player joined (or when full).
    #[arg(long = "quick-match-wait", env = "AGORA_QUICK_MATCH_WAIT", default_value = "30s",
          global = true, value_parser = parse_quick_match_wait)]
    pub quick_match_wait: Duration,

    /// A battle lobby without activity for this long is cancelled.
    #[arg(long = "lobby-idle-timeout", env = "AGORA_LOBBY_IDLE_TIMEOUT", default_value = "10m",
          global = true, value_parser = parse_lobby_idle)]
    pub lobby_idle_timeout: Duration,

    /// Readings observed longer ago than this are refused by ingest, each with its reason;
    /// admins back-fill older ones with `ingestReadings(backfill: true)`.
    #[arg(long = "ingest-max-age", env = "AGORA_INGEST_MAX_AGE", default_value = "30d",
          global = true, value_parser = |v: &str| parse_duration("AGORA_INGEST_MAX_AGE", v))]
    pub ingest_max_age: Duration,

    /// Longest span of time one `GET /export/readings.csv` may cover (400 beyond).
    #[arg(long = "export-max-range", env = "AGORA_EXPORT_MAX_RANGE", default_value = "31d",
          global = true, value_parser = |v: &str| parse_duration("AGORA_EXPORT_MAX_RANGE", v))]
    pub export_max_range: Duration,

    /// Readings exports one user (with their keys) may run at once on a replica (429 beyond).
    #[arg(
        long = "export-max-per-user",
        env = "AGORA_EXPORT_MAX_PER_USER",
        default_value_t = 2,
        global = true,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub export_max_per_user: u32,

    /// Readings exports a replica runs at once, all users together (429 beyond).
    #[arg(
        long = "export-max-per-replica",
        env = "AGORA_EXPORT_MAX_PER_REPLICA",
        default_value_t = 8,
        global = true,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub export_max_per_replica: u32,

    /// Rows a readings export reads per statement; its database connection goes back to the
    /// pool between statements.
    #[arg(
        long = "export-chunk-rows",
        env = "AGORA_EXPORT_CHUNK_ROWS",
        default_value_t = 5_000,
        global = true,
        value_parser = clap::value_parser!(u32).range(1..=50_000)
    )]
    pub export_chunk_rows: u32,

    /// A client that takes no bytes of a readings export for this long is disconnected.
    #[arg(long = "export-write-timeout", env = "AGORA_EXPORT_WRITE_TIMEOUT", default_value = "10s",
          global = true, value_parser = |v: &str| parse_duration("AGORA_EXPORT_WRITE_TIMEOUT", v))]
    pub export_write_timeout: Duration,

    /// Fitted forecast models kept in memory, one per station, parameter and hour (LRU).
    #[arg(
        long = "forecast-cache-size",
        env = "AGORA_FORECAST_CACHE_SIZE",
        default_value_t = 1_000,
        global = true,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub forecast_cache_size: u32,
}

impl Config {
    /// Whether the database is the embedded SQLite file.
    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// Whether this is a production deployment.
    pub fn is_production(&self) -> bool {
        self.environment == Environment::Production
    }

    /// Log format in force.
    pub fn log_format(&self) -> LogFormat {
        self.log_format.unwrap_or(match self.environment {
            Environment::Development => LogFormat::Pretty,
            Environment::Production => LogFormat::Json,
        })
    }

    /// Whether introspection is allowed.
    pub fn introspection(&self) -> bool {
        self.introspection.unwrap_or(!self.is_production())
    }

    /// Whether validation errors suggest field names.
    pub fn field_suggestions(&self) -> bool {
        self.field_suggestions.unwrap_or(!self.is_production())
    }

    /// Origins allowed by CORS; `None` allows any.
    pub fn cors_origins(&self) -> Option<Vec<String>> {
        match &self.cors_origins {
            Some(list) if list.iter().any(|o| o.trim() == "*") => None,
            Some(list) => Some(
                list.iter()
                    .map(|o| o.trim().to_owned())
                    .filter(|o| !o.is_empty())
                    .collect(),
            ),
            None if self.is_production() => Some(Vec::new()),
            None => None,
        }
    }

    /// Checks rules that span fields; the message names the variable.
    pub fn validate(&self) -> Result<(), String> {
        match (&self.jwt_secret, self.environment) {
            (None, Environment::Production) => {
                return Err("AGORA_JWT_SECRET is required when AGORA_ENV=production".into());
            }
            (Some(secret), _) if secret.len() < 32 => {
                return Err("AGORA_JWT_SECRET must be at least 32 bytes long".into());
            }
            _ => {}
        }
        if self.db_max_connections == Some(0) {
            return Err("AGORA_DB_MAX_CONNECTIONS must be at least 1".into());
        }
        if self.outbox_max_attempts < 1 {
            return Err("AGORA_OUTBOX_MAX_ATTEMPTS must be at least 1".into());
        }
        if !(1..=64).contains(&self.outbox_workers) {
            return Err("AGORA_OUTBOX_WORKERS must be between 1 and 64".into());
        }
        if !(1..=5_000).contains(&self.outbox_batch) {
            return Err("AGORA_OUTBOX_BATCH must be between 1 and 5000".into());
        }
        if !(1..=16).contains(&self.points_partitions) {
            return Err("AGORA_POINTS_PARTITIONS must be between 1 and 16".into());
        }
        if self.client_ip_header.is_some() && self.trusted_proxies.is_empty() {
            return Err(
                "AGORA_CLIENT_IP_HEADER needs AGORA_TRUSTED_PROXIES: the proxy addresses \
                 whose header is believed"
                    .into(),
            );
        }
        if self.access_token_ttl >= self.refresh_token_ttl {
            return Err(
                "AGORA_ACCESS_TOKEN_TTL must be shorter than AGORA_REFRESH_TOKEN_TTL".into(),
            );
        }
        Ok(())
    }
}

/// Parses a configuration from command-line style arguments alone (environment variables still
/// apply); for tools and tests that build one without the `agora` CLI.
pub fn parse_args<I, T>(args: I) -> Result<Config, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    #[derive(clap::Parser)]
    struct Only {
        #[command(flatten)]
        config: Config,
    }
    use clap::Parser;
    let argv =
        std::iter::once(std::ffi::OsString::from("agora")).chain(args.into_iter().map(Into::into));
    Only::try_parse_from(argv).map(|only| only.config)
}

fn parse_bind(value: &str) -> Result<SocketAddr, String> {
    value
        .parse()
        .map_err(|_| format!("AGORA_BIND: invalid socket address {value:?} (expected host:port)"))
}

fn parse_database_url(value: &str) -> Result<String, String> {
    if value.starts_with("sqlite:")
        || value.starts_with("postgres://")
        || value.starts_with("postgresql://")
    {
        Ok(value.to_owned())
    } else {
        Err(format!(
            "DATABASE_URL: {value:?} is neither sqlite:... nor postgres://..."
        ))
    }
}

fn parse_redis_url(value: &str) -> Result<String, String> {
    redis::parse_redis_url(value)
        .map(|_| value.to_owned())
        .ok_or_else(|| format!("REDIS_URL: {value:?} is not a redis:// URL"))
}

/// An address (`10.0.0.5`, taken as a /32 or /128) or a network (`172.28.0.0/24`).
fn parse_network(value: &str) -> Result<ipnet::IpNet, String> {
    let value = value.trim();
    value
        .parse::<ipnet::IpNet>()
        .or_else(|_| value.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("AGORA_TRUSTED_PROXIES: {value:?} is not an address or a network"))
}

fn parse_duration(var: &str, value: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(value)
        .map_err(|e| format!("{var}: {value:?} is not a duration like 15m or 30d ({e})"))?;
    if duration.is_zero() {
        return Err(format!("{var}: must be greater than zero"));
    }
    Ok(duration)
}

/// Defines a clap value parser for a duration that names its variable in errors.
macro_rules! duration_parser {
    ($($name:ident => $var:literal),* $(,)?) => {$(
        fn $name(value: &str) -> Result<Duration, String> {
            parse_duration($var, value)
        }
    )*};
}

duration_parser! {
    parse_ttl_access => "AGORA_ACCESS_TOKEN_TTL",
    parse_ttl_refresh => "AGORA_REFRESH_TOKEN_TTL",
    parse_ttl_timeout => "AGORA_REQUEST_TIMEOUT",
    parse_ttl_shutdown => "AGORA_SHUTDOWN_TIMEOUT",
    parse_reveal_pause => "AGORA_BATTLE_REVEAL_PAUSE",
    parse_quick_match_wait => "AGORA_QUICK_MATCH_WAIT",
    parse_lobby_idle => "AGORA_LOBBY_IDLE_TIMEOUT",
    parse_execution_timeout => "AGORA_EXECUTION_TIMEOUT",
    parse_apq_ttl => "AGORA_APQ_TTL",
    parse_ws_init_timeout => "AGORA_WS_INIT_TIMEOUT",
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    fn parse(args: &[&str]) -> Result<Config, String> {
        let mut argv = vec!["agora"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)
            .map(|cli| cli.config)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_the_embedded_mode() {
        let config = parse(&[]).expect("defaults parse");
        assert!(config.is_sqlite());
        assert_eq!(config.access_token_ttl, Duration::from_secs(15 * 60));
        assert_eq!(config.refresh_token_ttl, Duration::from_secs(30 * 86_400));
        assert!(config.introspection());
        assert!(config.validate().is_ok());
    }

    #[test]
    fn bad_bind_names_the_variable() {
        let err = parse(&["--bind", "nowhere"]).expect_err("invalid");
        assert!(err.contains("AGORA_BIND"), "{err}");
    }

    #[test]
    fn production_needs_a_jwt_secret() {
        let config = parse(&["--env", "production"]).expect("parses");
        let err = config.validate().expect_err("no secret");
        assert!(err.contains("AGORA_JWT_SECRET"));
        assert!(!config.introspection());
    }

    #[test]
    fn short_jwt_secret_is_refused() {
        let config = parse(&["--jwt-secret", "short"]).expect("parses");
        assert!(
            config
                .validate()
                .expect_err("too short")
                .contains("AGORA_JWT_SECRET")
        );
    }

    /// `flag` refuses each of `bad` at validation, naming `setting`, and accepts `good`.
    fn assert_bounded(flag: &str, setting: &str, bad: &[&str], good: &str) {
        for value in bad {
            let config = parse(&[flag, value]).expect("parses");
            assert!(
                config
                    .validate()
                    .expect_err("out of range")
                    .contains(setting),
                "{flag} {value}"
            );
        }
        assert!(parse(&[flag, good]).expect("parses").validate().is_ok());
    }

    #[test]
    fn outbox_workers_are_bounded() {
        assert_eq!(parse(&[]).expect("defaults").outbox_workers, 4);
        assert_bounded(
            "--outbox-workers",
            "AGORA_OUTBOX_WORKERS",
            &["0", "65"],
            "8",
        );
    }

    #[test]
    fn points_partitions_are_bounded() {
        assert_eq!(parse(&[]).expect("defaults").points_partitions, 2);
        assert_bounded(
            "--points-partitions",
            "AGORA_POINTS_PARTITIONS",
            &["0", "17"],
            "4",
        );
    }

    #[test]
    fn outbox_batches_are_bounded() {
        assert_eq!(parse(&[]).expect("defaults").outbox_batch, 500);
        assert_bounded(
            "--outbox-batch",
            "AGORA_OUTBOX_BATCH",
            &["0", "5001"],
            "1000",
        );
        assert!(parse(&["--outbox-batch", "-1"]).is_err());
    }
}
