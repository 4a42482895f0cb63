//! CLI tasks other than `serve`.

pub mod backup;
pub mod seed;
pub mod simulate;

use std::path::Path;

use agora_migration::{Migrator, MigratorTrait};
use agora_platform::Platform;
use anyhow::Context as _;

/// Applies pending migrations and reports how many ran.
pub async fn migrate(platform: &Platform) -> anyhow::Result<usize> {
    let pending = Migrator::get_pending_migrations(&platform.db).await?.len();
    Migrator::up(&platform.db, None)
        .await
        .context("running migrations")?;
    Ok(pending)
}

/// Writes the SDL to `output` (`-` prints it).
pub fn export_schema(output: &Path) -> anyhow::Result<()> {
    let sdl = agora_schema::sdl();
    if output == Path::new("-") {
        print!("{sdl}");
    } else {
        std::fs::write(output, sdl).with_context(|| format!("writing {}", output.display()))?;
        eprintln!("wrote {}", output.display());
    }
    Ok(())
}

/// Imports questions from `file`; returns whether they were written. Every bad row is printed
/// with its field.
pub async fn import_questions(
    platform: &Platform,
    file: &Path,
    format: Option<&str>,
    dry_run: bool,
) -> anyhow::Result<bool> {
    use agora_knowledge::api::transfer::{self, TransferFormat};
    let data =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let extension = file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_lowercase();
    let format = match format.unwrap_or(extension.as_str()) {
        "csv" => TransferFormat::Csv,
        "json" => TransferFormat::Json,
        other => anyhow::bail!(
            "cannot tell the format of {} ({other:?}); pass --format json|csv",
            file.display()
        ),
    };
    let report = transfer::import(platform, None, format, &data, dry_run)
        .await
        .map_err(|e| anyhow::anyhow!(e.client_message()))?;
    for row in report.rows.iter().filter(|r| r.field.is_some()) {
        println!(
            "row {}: {}: {}",
            row.index,
            row.field.as_deref().unwrap_or_default(),
            row.message.as_deref().unwrap_or_default()
        );
    }
    let invalid = report.rows.len() - report.valid;
    println!(
        "{} valid, {invalid} invalid row(s); {}",
        report.valid,
        if report.committed {
            "imported"
        } else {
            "nothing written"
        }
    );
    Ok(report.committed || (dry_run && invalid == 0))
}

/// Creates or promotes an admin.
pub async fn create_admin(
    platform: &Platform,
    email: &str,
    password: &str,
    display_name: Option<&str>,
) -> anyhow::Result<()> {
    let (user, created) =
        agora_identity::api::create_or_promote_admin(platform, email, password, display_name)
            .await
            .map_err(|e| anyhow::anyhow!(e.client_message()))?;
    if created {
        println!("created admin {} ({})", user.email, user.id);
    } else {
        println!(
            "promoted {} ({}) to admin and set its password",
            user.email, user.id
        );
    }
    Ok(())
}

/// Prints up to `limit` outbox events in `status` (`parked`, `pending`, `done`), oldest first.
pub async fn list_outbox(platform: &Platform, status: &str, limit: usize) -> anyhow::Result<()> {
    use agora_platform::{
        outbox::{self, EventStatus},
        pagination::{PageRequest, TimeCursor},
    };
    let status = match status {
        "pending" => EventStatus::Pending,
        "done" => EventStatus::Done,
        _ => EventStatus::Parked,
    };
    let request = PageRequest::<TimeCursor> {
        limit,
        backward: false,
        cursor: None,
    };
    let page = outbox::page(platform, status, &request)
        .await
        .map_err(|e| anyhow::anyhow!(e.log_message()))?;
    if page.rows.is_empty() {
        println!("no {status:?} outbox events");
    }
    for (_, event) in page.rows {
        println!(
            "{}  {}  {}  attempts={}  last_error={}",
            event.id,
            event.created_at.to_rfc3339(),
            event.event_type,
            event.attempts,
            event.last_error.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}

/// Puts the parked outbox event `id` (a UUID or its global id) back in the queue.
pub async fn replay_outbox(platform: &Platform, id: &str) -> anyhow::Result<()> {
    let uuid = match uuid::Uuid::parse_str(id) {
        Ok(uuid) => uuid,
        Err(_) => {
            agora_platform::ids::decode(&async_graphql::ID(id.to_owned()), "OutboxEvent", "id")
                .map_err(|e| anyhow::anyhow!(e.client_message()))?
        }
    };
    let event = agora_platform::outbox::replay(platform, uuid)
        .await
        .map_err(|e| anyhow::anyhow!(e.client_message()))?;
    println!(
        "{} ({}) is queued again; a running server delivers it within its poll interval",
        event.id, event.event_type
    );
    Ok(())
}
