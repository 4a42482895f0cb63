//! CLI tasks other than `serve`.

pub mod seed;

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
