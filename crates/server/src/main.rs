//! The `agora` binary.

use agora_server::{
    StartOptions,
    cli::{Cli, Command, LeaderboardAction, LiteracyAction, OutboxAction, PersistedAction},
    state::{SchemaBehind, build_state},
    tasks, telemetry,
};
use anyhow::Context as _;
use clap::Parser;

// mimalloc: GraphQL parsing and execution allocate heavily, and glibc's per-thread arenas kept
// argon2's 19 MiB buffers long after sign-in bursts (see bench/README.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Err(message) = cli.config.platform.validate() {
        eprintln!("error: {message}");
        std::process::exit(2);
    }
    telemetry::init_logging(&cli.config.platform);
    if let Err(err) = run(cli).await {
        eprintln!("error: {err:#}");
        // An unmigrated database is the operator's to fix, like a bad setting.
        let code = if err.downcast_ref::<SchemaBehind>().is_some() {
            2
        } else {
            1
        };
        std::process::exit(code);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command {
        Command::ExportSchema { output } => tasks::export_schema(&output),
        Command::Migrate => {
            let options = StartOptions {
                allow_pending_migrations: true,
                ..Default::default()
            };
            let state = build_state(config, options).await?;
            let ran = tasks::migrate(&state.platform).await?;
            println!("applied {ran} migration(s)");
            Ok(())
        }
        Command::Seed => {
            let state = build_state(
                config,
                StartOptions {
                    migrate: true,
                    ..Default::default()
                },
            )
            .await?;
            let created = tasks::seed::seed_demo(&state.platform, &state.sensors).await?;
            println!("seeded {created} new record(s)");
            Ok(())
        }
        Command::ImportQuestions {
            file,
            format,
            dry_run,
        } => {
            let state = build_state(
                config,
                StartOptions {
                    migrate: true,
                    ..Default::default()
                },
            )
            .await?;
            let ok =
                tasks::import_questions(&state.platform, &file, format.as_deref(), dry_run).await?;
            if !ok {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::SimulateSensors {
            url,
            email,
            password,
            stations,
            interval,
            rounds,
        } => {
            tasks::simulate::run(tasks::simulate::SimulateOptions {
                url,
                email,
                password,
                stations,
                interval,
                rounds,
            })
            .await
        }
        Command::Leaderboards {
            action: LeaderboardAction::Rebuild,
        } => {
            let state = build_state(config, StartOptions::default()).await?;
            let started = std::time::Instant::now();
            let rebuilt = agora_gamification::api::rebuild_leaderboards(&state.platform)
                .await
                .map_err(|e| anyhow::anyhow!(e.log_message()))?;
            println!(
                "rebuilt {} board(s), {} total(s) in {:.1}s",
                rebuilt.boards,
                rebuilt.rows,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Literacy {
            action:
                LiteracyAction::ImportWordnet {
                    wordnet_dir,
                    output,
                },
        } => {
            let (json, found) = agora_literacy::api::import_wordnet(&wordnet_dir)
                .map_err(|e| anyhow::anyhow!(e.log_message()))?;
            if output.as_os_str() == "-" {
                print!("{json}");
            } else {
                std::fs::write(&output, json)
                    .with_context(|| format!("writing {}", output.display()))?;
                eprintln!(
                    "{found} level words with a WordNet entry -> {}",
                    output.display()
                );
            }
            Ok(())
        }
        Command::Persisted {
            action: PersistedAction::Import { file, client_name },
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let manifest: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", file.display()))?;
            let state = build_state(
                config,
                StartOptions {
                    migrate: true,
                    ..Default::default()
                },
            )
            .await?;
            let report = agora_schema::persisted::trusted::import_manifest(
                &state.platform,
                &manifest,
                &client_name,
                None,
            )
            .await
            .map_err(|e| anyhow::anyhow!(e.client_message()))?;
            println!(
                "{} document(s) imported, {} already trusted, for client {client_name}",
                report.imported, report.unchanged
            );
            Ok(())
        }
        Command::Outbox { action } => {
            let state = build_state(config, StartOptions::default()).await?;
            match action {
                OutboxAction::List { status, limit } => {
                    tasks::list_outbox(&state.platform, &status, limit.into()).await
                }
                OutboxAction::Replay { id } => tasks::replay_outbox(&state.platform, &id).await,
            }
        }
        Command::Backup { file } => {
            let started = std::time::Instant::now();
            let bytes = tasks::backup::backup(&config.platform, &file).await?;
            println!(
                "backed up to {} ({bytes} bytes) in {:.1}s",
                file.display(),
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Restore { file, force } => {
            let restored = tasks::backup::restore(&config.platform, &file, force).await?;
            if let Some(previous) = restored.previous {
                println!("the replaced database is kept as {}", previous.display());
            }
            println!(
                "restored {}; {} migration(s) will run at the next start",
                file.display(),
                restored.pending
            );
            Ok(())
        }
        Command::CreateAdmin {
            email,
            password,
            display_name,
        } => {
            let state = build_state(
                config,
                StartOptions {
                    migrate: true,
                    ..Default::default()
                },
            )
            .await?;
            tasks::create_admin(&state.platform, &email, &password, display_name.as_deref()).await
        }
        Command::Serve { seed_demo, migrate } => {
            let migrate = migrate.unwrap_or(config.platform.is_sqlite());
            let bind = config.platform.server.bind;
            let state = build_state(
                config,
                StartOptions {
                    migrate,
                    ..Default::default()
                },
            )
            .await?;
            if seed_demo {
                tasks::seed::seed_demo(&state.platform, &state.sensors).await?;
            }
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .map_err(|e| anyhow::anyhow!("AGORA_BIND: cannot listen on {bind}: {e}"))?;
            // The handlers are installed here, before `serve` says it is listening: a signal
            // that arrives right after that line must reach them, not the default action
            // (which ends the process with no drain and no exit code).
            let signals = Signals::install()?;
            let shutdown = state.shutdown.clone();
            tokio::spawn(async move {
                signals.first().await;
                tracing::info!("shutdown signal received");
                shutdown.cancel();
            });
            agora_server::serve(state, listener).await
        }
    }
}

/// SIGINT and SIGTERM, registered with the runtime once; from then on neither ends the
/// process by itself, a second one during the drain included.
struct Signals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())
                    .map_err(|e| anyhow::anyhow!("cannot handle SIGINT: {e}"))?,
                terminate: signal(SignalKind::terminate())
                    .map_err(|e| anyhow::anyhow!("cannot handle SIGTERM: {e}"))?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn first(mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
        #[cfg(not(unix))]
        {
            let _ = &mut self;
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
