//! The `agora` configuration: every field a `--flag` and an environment variable.
//!
//! [`Config`] is the platform's part, in small groups (`config.limits.max_depth`); settings
//! that one domain reads live in that domain and the server flattens them beside it.
//!
//! A bad value stops start-up with one line that names the setting: clap checks ranges and
//! durations as it parses (`invalid value '0' for '--outbox-workers <OUTBOX_WORKERS>': 0 is
//! not in 1..=64`), [`Config::validate`] the rules that span settings.

use std::{net::SocketAddr, time::Duration};

use clap::{Args, ValueEnum, builder::RangedU64ValueParser};

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

/// Everything the platform reads from flags or the environment, in groups; each domain's own
/// settings live in that domain and are flattened beside it into the `agora` CLI.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Where and how the process runs.
    #[command(flatten)]
    pub server: ServerSettings,

    /// The database and its pool.
    #[command(flatten)]
    pub database: DatabaseSettings,

    /// Redis (production mode).
    #[command(flatten)]
    pub redis: RedisSettings,

    /// Access and refresh tokens.
    #[command(flatten)]
    pub auth: AuthSettings,

    /// Outgoing mail.
    #[command(flatten)]
    pub mail: MailSettings,

    /// Limits on one request: body, document, depth, complexity, time, batches.
    #[command(flatten)]
    pub limits: LimitSettings,

    /// Persisted queries: trusted documents and the APQ cache.
    #[command(flatten)]
    pub persisted: PersistedSettings,

    /// Request rate limits (token buckets per minute).
    #[command(flatten)]
    pub rate_limits: RateLimitSettings,

    /// WebSocket connections.
    #[command(flatten)]
    pub websocket: WebSocketSettings,

    /// Who may call: browser origins, client addresses behind proxies, the metrics scraper.
    #[command(flatten)]
    pub http: HttpSettings,

    /// The outbox dispatcher.
    #[command(flatten)]
    pub outbox: OutboxSettings,
}

/// Where and how the process runs: listener, environment, logs, public URL, schema features,
/// shutdown.
#[derive(Debug, Clone, Args)]
pub struct ServerSettings {
    /// Address the HTTP server listens on.
    #[arg(long = "bind", env = "AGORA_BIND", default_value = "0.0.0.0:8080", global = true,
          value_parser = parse_bind)]
    pub bind: SocketAddr,

    /// `development` or `production`.
    #[arg(
        long = "env",
        env = "AGORA_ENV",
        value_enum,
        default_value = "development",
        global = true
    )]
    pub environment: Environment,

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

    /// One deadline, from the shutdown signal, for in-flight requests, the outbox's last pass
    /// and the background workers.
    #[arg(long = "shutdown-timeout", env = "AGORA_SHUTDOWN_TIMEOUT", default_value = "20s",
          global = true, value_parser = parse_duration)]
    pub shutdown_timeout: Duration,

    /// Most HTTP requests executing at once (default: 8 per CPU core; 0: no limit). Beyond it
    /// requests wait in a short queue; beyond the queue they are refused at once with 503 and
    /// `Retry-After`, so an overload is shed quickly instead of queued without bound.
    /// WebSocket connections, `/healthz`, `/readyz` and `/metrics` are not counted.
    #[arg(long = "max-in-flight", env = "AGORA_MAX_IN_FLIGHT", global = true)]
    pub max_in_flight: Option<usize>,

    /// Requests that may wait for a slot when `AGORA_MAX_IN_FLIGHT` are executing (default:
    /// as many as may execute).
    #[arg(long = "request-queue", env = "AGORA_REQUEST_QUEUE", global = true)]
    pub request_queue: Option<usize>,

    /// Longest wait in that queue before a request is refused with 503.
    #[arg(long = "request-queue-timeout", env = "AGORA_REQUEST_QUEUE_TIMEOUT",
          default_value = "100ms", global = true, value_parser = parse_duration)]
    pub request_queue_timeout: Duration,
}

/// The database and its pool.
#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// Database URL: `sqlite://FILE?mode=rwc` (embedded) or `postgres://...` (production).
    #[arg(long = "database-url", env = "DATABASE_URL", default_value = "sqlite://agora.db?mode=rwc",
          global = true, value_parser = parse_database_url)]
    pub database_url: String,

    /// Largest database pool (defaults: 20 on PostgreSQL, 8 on SQLite).
    #[arg(
        long = "db-max-connections",
        env = "AGORA_DB_MAX_CONNECTIONS",
        global = true,
        value_parser = clap::value_parser!(u32).range(1..)
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
}

/// Redis (production mode).
#[derive(Debug, Clone, Args)]
pub struct RedisSettings {
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
}

/// Access and refresh tokens.
#[derive(Debug, Clone, Args)]
pub struct AuthSettings {
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
          global = true, value_parser = parse_duration)]
    pub access_token_ttl: Duration,

    /// Refresh-token lifetime, e.g. `30d`.
    #[arg(long = "refresh-token-ttl", env = "AGORA_REFRESH_TOKEN_TTL", default_value = "30d",
          global = true, value_parser = parse_duration)]
    pub refresh_token_ttl: Duration,
}

/// Outgoing mail.
#[derive(Debug, Clone, Args)]
pub struct MailSettings {
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
}

/// Limits on one request: body, document, depth, complexity, time, batches.
#[derive(Debug, Clone, Args)]
pub struct LimitSettings {
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
          global = true, value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// Longest an operation may execute before it is answered with a `TIMEOUT` error.
    #[arg(long = "execution-timeout", env = "AGORA_EXECUTION_TIMEOUT", default_value = "10s",
          global = true, value_parser = parse_duration)]
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
}

/// Persisted queries: trusted documents and the APQ cache.
#[derive(Debug, Clone, Args)]
pub struct PersistedSettings {
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
          value_parser = parse_duration)]
    pub apq_ttl: Duration,
}

/// Request rate limits (token buckets per minute).
#[derive(Debug, Clone, Args)]
pub struct RateLimitSettings {
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
}

/// WebSocket connections.
#[derive(Debug, Clone, Args)]
pub struct WebSocketSettings {
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
          global = true, value_parser = parse_duration)]
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
}

/// Who may call: browser origins, client addresses behind proxies, the metrics scraper.
#[derive(Debug, Clone, Args)]
pub struct HttpSettings {
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
}

/// The outbox dispatcher.
#[derive(Debug, Clone, Args)]
pub struct OutboxSettings {
    /// Delivery attempts before an outbox event is parked for an operator.
    #[arg(
        long = "outbox-max-attempts",
        env = "AGORA_OUTBOX_MAX_ATTEMPTS",
        default_value_t = 10,
        global = true,
        value_parser = clap::value_parser!(i32).range(1..)
    )]
    pub outbox_max_attempts: i32,

    /// Outbox events claimed at a time; each handler applies a claim in one transaction.
    #[arg(
        long = "outbox-batch",
        env = "AGORA_OUTBOX_BATCH",
        default_value_t = 500,
        global = true,
        value_parser = clap::value_parser!(u32).range(1..=5_000)
    )]
    pub outbox_batch: u32,

    /// Outbox batches a replica applies at once (PostgreSQL; SQLite has one writer). Four keep
    /// two cores busy: a batch's transaction waits on its round trips and on the row locks of
    /// the batch ahead of it in the same points partition.
    #[arg(
        long = "outbox-workers",
        env = "AGORA_OUTBOX_WORKERS",
        default_value_t = 4,
        global = true,
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=64)
    )]
    pub outbox_workers: usize,

    /// How long a claim holds its events: a replica that dies mid-batch leaves them to the
    /// others after this. Longer than any batch takes; one that outlives it may be applied
    /// again (harmless: handlers apply an event once) by a replica that claimed it meanwhile.
    #[arg(long = "outbox-lease", env = "AGORA_OUTBOX_LEASE", default_value = "60s",
          global = true, value_parser = parse_duration)]
    pub outbox_lease: Duration,
}

impl Config {
    /// Whether the database is the embedded SQLite file.
    pub fn is_sqlite(&self) -> bool {
        self.database.database_url.starts_with("sqlite:")
    }

    /// Whether this is a production deployment.
    pub fn is_production(&self) -> bool {
        self.server.environment == Environment::Production
    }

    /// Log format in force.
    pub fn log_format(&self) -> LogFormat {
        self.server
            .log_format
            .unwrap_or(match self.server.environment {
                Environment::Development => LogFormat::Pretty,
                Environment::Production => LogFormat::Json,
            })
    }

    /// Whether introspection is allowed.
    pub fn introspection(&self) -> bool {
        self.server.introspection.unwrap_or(!self.is_production())
    }

    /// Whether validation errors suggest field names.
    pub fn field_suggestions(&self) -> bool {
        self.server
            .field_suggestions
            .unwrap_or(!self.is_production())
    }

    /// Origins allowed by CORS; `None` allows any.
    pub fn cors_origins(&self) -> Option<Vec<String>> {
        match &self.http.cors_origins {
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

    /// Checks rules that span fields (ranges are checked by clap as each value is parsed); the
    /// message names the variable.
    pub fn validate(&self) -> Result<(), String> {
        match (&self.auth.jwt_secret, self.server.environment) {
            (None, Environment::Production) => {
                return Err("AGORA_JWT_SECRET is required when AGORA_ENV=production".into());
            }
            (Some(secret), _) if secret.len() < 32 => {
                return Err("AGORA_JWT_SECRET must be at least 32 bytes long".into());
            }
            _ => {}
        }
        if self.http.client_ip_header.is_some() && self.http.trusted_proxies.is_empty() {
            return Err(
                "AGORA_CLIENT_IP_HEADER needs AGORA_TRUSTED_PROXIES: the proxy addresses \
                 whose header is believed"
                    .into(),
            );
        }
        if self.auth.access_token_ttl >= self.auth.refresh_token_ttl {
            return Err(
                "AGORA_ACCESS_TOKEN_TTL must be shorter than AGORA_REFRESH_TOKEN_TTL".into(),
            );
        }
        Ok(())
    }
}

/// Parses a configuration from command-line style arguments alone (environment variables still
/// apply); for tools and tests that build one without the `agora` CLI. `C` is the platform's
/// [`Config`] or any struct that flattens it (the server's, which adds the domains' settings).
pub fn parse_args<C: Args>(
    args: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
) -> Result<C, clap::Error> {
    #[derive(clap::Parser)]
    struct Only<C: Args> {
        #[command(flatten)]
        config: C,
    }
    use clap::Parser;
    let argv =
        std::iter::once(std::ffi::OsString::from("agora")).chain(args.into_iter().map(Into::into));
    Only::<C>::try_parse_from(argv).map(|only| only.config)
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

/// Parses a duration such as `15m`, `30d` or `500ms` (humantime), refusing zero; the value
/// parser of every duration setting, the domains' included (clap names the flag in errors).
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(value)
        .map_err(|e| format!("{value:?} is not a duration like 15m or 30d ({e})"))?;
    if duration.is_zero() {
        return Err("must be greater than zero".into());
    }
    Ok(duration)
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
        assert_eq!(config.auth.access_token_ttl, Duration::from_secs(15 * 60));
        assert_eq!(
            config.auth.refresh_token_ttl,
            Duration::from_secs(30 * 86_400)
        );
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

    /// `flag` refuses each of `bad` as it parses, naming the flag and the accepted range, and
    /// accepts `good`.
    fn assert_bounded(flag: &str, range: &str, bad: &[&str], good: &str) {
        for value in bad {
            let err = parse(&[flag, value]).expect_err("out of range");
            assert!(
                err.contains(flag) && err.contains(range),
                "{flag} {value}: {err}"
            );
        }
        assert!(parse(&[flag, good]).expect("parses").validate().is_ok());
    }

    #[test]
    fn outbox_workers_are_bounded() {
        assert_eq!(parse(&[]).expect("defaults").outbox.outbox_workers, 4);
        assert_bounded("--outbox-workers", "1..=64", &["0", "65"], "8");
    }

    #[test]
    fn outbox_batches_are_bounded() {
        assert_eq!(parse(&[]).expect("defaults").outbox.outbox_batch, 500);
        assert_bounded("--outbox-batch", "1..=5000", &["0", "5001"], "1000");
        assert!(parse(&["--outbox-batch", "-1"]).is_err());
    }

    #[test]
    fn outbox_attempts_and_pool_size_start_at_one() {
        assert_bounded("--outbox-max-attempts", "1..", &["0"], "1");
        assert_bounded("--db-max-connections", "1..", &["0"], "1");
    }

    #[test]
    fn durations_refuse_zero_and_nonsense() {
        let err = parse(&["--apq-ttl", "0s"]).expect_err("zero");
        assert!(
            err.contains("--apq-ttl") && err.contains("greater than zero"),
            "{err}"
        );
        let err = parse(&["--request-timeout", "soon"]).expect_err("nonsense");
        assert!(
            err.contains("--request-timeout") && err.contains("not a duration"),
            "{err}"
        );
        let config = parse(&["--ws-init-timeout", "500ms"]).expect("parses");
        assert_eq!(config.websocket.ws_init_timeout, Duration::from_millis(500));
    }
}
