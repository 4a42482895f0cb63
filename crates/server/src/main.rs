//! The `agora` binary.

use agora_server::{
    StartOptions,
    cli::{Cli, Command, LeaderboardAction, LiteracyAction, PersistedAction},
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
            let created = tasks::seed::seed_demo(&state.platform, &state.domains.sensors).await?;
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
                tasks::seed::seed_demo(&state.platform, &state.domains.sensors).await?;
            }
            let listener = tokio::net::TcpListener::bind(bind)
                .await
                .map_err(|e| anyhow::anyhow!("AGORA_BIND: cannot listen on {bind}: {e}"))?;
            let shutdown = state.shutdown.clone();
            tokio::spawn(async move {
                wait_for_signal().await;
                tracing::info!("shutdown signal received");
                shutdown.cancel();
            });
            agora_server::serve(state, listener).await
        }
    }
}

async fn wait_for_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
