//! Start-up wiring: the same [`AppState`] for the embedded and the production mode.

use std::sync::Arc;

use agora_identity::api::KeyUsage;
use agora_migration::{Migrator, MigratorTrait};
use agora_platform::ratelimit::RateLimits;
use agora_platform::{
    Platform,
    auth::{jwt::JwtKeys, secret},
    bus::{EventBus, InProcessBus, RedisBus},
    clock::{Clock, SystemClock},
    db,
    mail::{LogMailSender, MailSender, SmtpMailSender},
    push::{LogPushSender, PushSender, WebhookPushSender},
};
use agora_schema::{AgoraExecutor, AgoraSchema, DomainSettings, OperationGuard};
use anyhow::Context as _;

use crate::cli::AgoraConfig;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// What the server runs on; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The executable schema (holds the [`Platform`] as schema data).
    pub schema: AgoraSchema,
    /// The schema behind Agora's checks: what every transport executes through.
    pub executor: AgoraExecutor,
    /// Request rate limits (in process, or in Redis in production).
    pub rate_limits: Arc<RateLimits>,
    /// API-key usage counted in memory, written every few seconds.
    pub key_usage: KeyUsage,
    /// Open WebSockets per client address on this replica.
    pub sockets: crate::ws::SocketCounts,
    /// The credentials each open WebSocket holds, for revocations.
    pub live: crate::live_sockets::LiveSockets,
    /// The platform handle.
    pub platform: Platform,
    /// The settings that belong to one domain each.
    pub domains: DomainSettings,
    /// The sensor domain's per-process state (forecast cache, export slots).
    pub sensors: agora_sensors::api::SensorsRuntime,
    /// Literacy's speech engines and audio cache, for the media endpoints.
    pub literacy: agora_literacy::api::LiteracyRuntime,
    /// Cancelled to shut down: the server, WebSockets, the dispatcher and the bus stop.
    pub shutdown: CancellationToken,
}

/// Start-up choices that are not configuration: test doubles and migration.
#[derive(Default)]
pub struct StartOptions {
    /// Mail sender; default: SMTP when `SMTP_URL` is set, else the log.
    pub mail: Option<Arc<dyn MailSender>>,
    /// Push sender; default: the webhook when `PUSH_WEBHOOK_URL` is set (the notifications
    /// domain's setting), else the log.
    pub push: Option<Arc<dyn PushSender>>,
    /// Clock; default is the system clock.
    pub clock: Option<Arc<dyn Clock>>,
    /// PostgreSQL schema to work in (tests use one per run).
    pub search_path: Option<String>,
    /// Run pending migrations before serving.
    pub migrate: bool,
    /// Start on a database with migrations pending (only `agora migrate` itself does); any
    /// other command refuses with [`SchemaBehind`].
    pub allow_pending_migrations: bool,
}

/// The database's schema is older than this build: nothing can run on it until it migrates.
#[derive(Debug)]
pub struct SchemaBehind {
    /// Migrations applied to the database.
    pub applied: usize,
    /// Migrations this build has.
    pub latest: usize,
}

impl std::fmt::Display for SchemaBehind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the database has no schema at version {} (it is at {}): run `agora migrate` \
             (or `agora serve --migrate true`)",
            self.latest, self.applied
        )
    }
}

impl std::error::Error for SchemaBehind {}

/// Connects everything `config` names and builds the schema.
pub async fn build_state(config: AgoraConfig, options: StartOptions) -> anyhow::Result<AppState> {
    let AgoraConfig {
        platform: config,
        domains,
    } = config;
    let config = Arc::new(config);
    let shutdown = CancellationToken::new();
    let (db, statements) = db::connect(&config, options.search_path.as_deref())
        .await
        .with_context(|| "DATABASE_URL: cannot connect to the database")?;
    if options.migrate {
        Migrator::up(&db, None)
            .await
            .context("running migrations")?;
    } else if !options.allow_pending_migrations {
        let pending = Migrator::get_pending_migrations(&db)
            .await
            .context("reading the database's migrations")?
            .len();
        if pending > 0 {
            let latest = Migrator::migrations().len();
            return Err(SchemaBehind {
                applied: latest.saturating_sub(pending),
                latest,
            }
            .into());
        }
    }
    let (bus, redis): (Arc<dyn EventBus>, _) = match &config.redis.redis_url {
        Some(url) => {
            let client = redis::Client::open(url.as_str()).context("REDIS_URL: invalid")?;
            // Reconnect attempts at most half a second apart: the default backoff doubles to
            // several seconds, which is how long a replica stayed unready after Redis came back
            // (tests/integration/faults.rs). Once the attempts run out, the next command
            // starts another round.
            let manager_config = redis::aio::ConnectionManagerConfig::new()
                .set_max_delay(std::time::Duration::from_millis(500));
            let manager =
                redis::aio::ConnectionManager::new_with_config(client.clone(), manager_config)
                    .await
                    .context("REDIS_URL: cannot connect to Redis")?;
            let bus = RedisBus::connect(
                client,
                manager.clone(),
                &config.redis.redis_prefix,
                shutdown.clone(),
            )
            .await
            .map_err(|e| anyhow::anyhow!(e.log_message()))?;
            (Arc::new(bus), Some(manager))
        }
        None => (Arc::new(InProcessBus::new()), None),
    };
    let secret = match &config.auth.jwt_secret {
        Some(secret) => secret.clone(),
        None => {
            tracing::warn!(
                "AGORA_JWT_SECRET is not set: using a random secret; tokens will not survive a restart"
            );
            secret::random_token()
        }
    };
    let mail: Arc<dyn MailSender> = match (options.mail, &config.mail.smtp_url) {
        (Some(mail), _) => mail,
        (None, Some(url)) => {
            Arc::new(SmtpMailSender::new(url, &config.mail.mail_from).map_err(anyhow::Error::msg)?)
        }
        (None, None) => Arc::new(LogMailSender),
    };
    let push: Arc<dyn PushSender> = match (options.push, &domains.notifications.push_webhook_url) {
        (Some(push), _) => push,
        (None, Some(url)) => Arc::new(WebhookPushSender::new(url).map_err(anyhow::Error::msg)?),
        (None, None) => Arc::new(LogPushSender),
    };
    let platform = Platform {
        jwt: JwtKeys::new(secret.as_bytes(), config.auth.access_token_ttl),
        config,
        db,
        bus,
        clock: options.clock.unwrap_or_else(|| Arc::new(SystemClock)),
        mail,
        push,
        redis,
        outbox_wakeup: Arc::new(Notify::new()),
        statements,
    };
    crate::telemetry::install_metrics();
    let sensors = agora_sensors::api::SensorsRuntime::new(domains.sensors.clone());
    let literacy = agora_literacy::api::LiteracyRuntime::new(&domains.literacy);
    let schema = agora_schema::build(
        platform.clone(),
        &domains,
        sensors.clone(),
        literacy.clone(),
    );
    let rate_limits = Arc::new(RateLimits::new(&platform.config, platform.redis.clone()));
    let key_usage = KeyUsage::default();
    let guard = OperationGuard::new(platform.clone(), rate_limits.clone(), key_usage.clone());
    Ok(AppState {
        executor: AgoraExecutor::new(schema.clone(), Arc::new(guard)),
        schema,
        rate_limits,
        key_usage,
        sockets: Default::default(),
        live: Default::default(),
        platform,
        domains,
        sensors,
        literacy,
        shutdown,
    })
}
