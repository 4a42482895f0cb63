//! Accounts: registration, profile, password, roles, the admin user list.

use agora_entities::identity::user;
use agora_events::{UserRegistered, UserUpdated};
use agora_platform::{
    AppError, AppResult, Platform,
    auth::{Role, password},
    db::{begin_write, contains_ci},
    error::{Violations, on_unique_violation},
    outbox::{self, NewEvent},
    pagination::{Page, PageRequest, TimeCursor, fetch_time_page},
};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend,
    EntityTrait, Order, PaginatorTrait, QueryFilter, Statement,
};
use uuid::Uuid;

use super::{
    find_user, one_time,
    policy::{check_password, normalize_display_name, normalize_email},
    sessions::{self, IssuedSession, RevokeReason},
};
use crate::events::{Revocation, announce};

/// A new account's details, as the client sent them.
#[derive(Debug, Clone)]
pub(crate) struct NewAccount {
    /// E-mail address.
    pub email: String,
    /// Password in clear.
    pub password: String,
    /// Display name.
    pub display_name: String,
}

const EMAIL_TAKEN: &str = "an account with this e-mail address already exists";

/// Creates an account (the first one of an empty database is an admin), sends the e-mail
/// verification link and signs the user in.
pub(crate) async fn register(platform: &Platform, input: NewAccount) -> AppResult<IssuedSession> {
    // Every problem at once, so a sign-up form can mark each field.
    let mut problems = Violations::default();
    let email = problems.check(normalize_email(&input.email, "input.email"));
    let display_name = problems.check(normalize_display_name(
        &input.display_name,
        "input.displayName",
    ));
    problems.check(check_password(
        &input.password,
        email.as_deref(),
        "input.password",
    ));
    problems.finish()?;
    let (Some(email), Some(display_name)) = (email, display_name) else {
        return Err(AppError::internal("a checked account field is missing"));
    };
    let user = insert_user(platform, email, display_name, input.password, None).await?;
    one_time::send_email_verification(platform, &user).await?;
    sessions::start_session(platform, user).await
}

/// Inserts a user; `role` None means LEARNER, or ADMIN for the first account.
async fn insert_user(
    platform: &Platform,
    email: String,
    display_name: String,
    clear_password: String,
    role: Option<Role>,
) -> AppResult<user::Model> {
    let password_hash = password::hash(clear_password).await?;
    let now = platform.clock.now();
    let txn = begin_write(&platform.db).await?;
    if txn.get_database_backend() == DbBackend::Postgres {
        // Serialise "is this the first user?" between concurrent registrations; SQLite's
        // BEGIN IMMEDIATE already does.
        txn.execute_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(7411001)",
        ))
        .await?;
    }
    let role = match role {
        Some(role) => role,
        None if user::Entity::find().count(&txn).await? == 0 => Role::Admin,
        None => Role::Learner,
    };
    let user = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email),
        display_name: Set(display_name),
        password_hash: Set(password_hash),
        role: Set(role.as_str().to_owned()),
        time_zone: Set("UTC".into()),
        reputation: Set(0),
        email_verified_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| on_unique_violation(e, EMAIL_TAKEN))?;
    let registered = UserRegistered { user_id: user.id };
    outbox::enqueue(&txn, now, NewEvent::of(user.id, &registered)?).await?;
    txn.commit().await?;
    platform.wake_outbox();
    Ok(user)
}

/// Creates an admin, or promotes (and re-passwords) an existing account; for `agora create-admin`.
/// Returns the user and whether it was newly created.
pub async fn create_or_promote_admin(
    platform: &Platform,
    email: &str,
    clear_password: &str,
    display_name: Option<&str>,
) -> AppResult<(user::Model, bool)> {
    let email = normalize_email(email, "email")?;
    check_password(clear_password, Some(&email), "password")?;
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(&platform.db)
        .await?;
    match existing {
        Some(existing) => {
            let mut active: user::ActiveModel = existing.into();
            active.role = Set(Role::Admin.as_str().to_owned());
            active.password_hash = Set(password::hash(clear_password.to_owned()).await?);
            if let Some(name) = display_name {
                active.display_name = Set(normalize_display_name(name, "display-name")?);
            }
            Ok((save_with_event(platform, active).await?, false))
        }
        None => {
            let fallback = email.split('@').next().unwrap_or("Admin").to_owned();
            let name = normalize_display_name(display_name.unwrap_or(&fallback), "display-name")?;
            let user = insert_user(
                platform,
                email,
                name,
                clear_password.to_owned(),
                Some(Role::Admin),
            )
            .await?;
            Ok((user, true))
        }
    }
}

/// Creates an account with `role` unless the address already has one; for seeding. Returns the
/// user and whether it was created.
pub async fn ensure_account(
    platform: &Platform,
    email: &str,
    clear_password: &str,
    display_name: &str,
    role: Role,
) -> AppResult<(user::Model, bool)> {
    let email = normalize_email(email, "email")?;
    if let Some(existing) = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(&platform.db)
        .await?
    {
        return Ok((existing, false));
    }
    check_password(clear_password, Some(&email), "password")?;
    let name = normalize_display_name(display_name, "displayName")?;
    let user = insert_user(platform, email, name, clear_password.to_owned(), Some(role)).await?;
    Ok((user, true))
}

/// Profile fields a user may change; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProfileChanges {
    /// New display name.
    pub display_name: Option<String>,
    /// New IANA time zone name (e.g. `Europe/Berlin`).
    pub time_zone: Option<String>,
}

/// Updates the viewer's own profile.
pub(crate) async fn update_profile(
    platform: &Platform,
    user_id: Uuid,
    changes: ProfileChanges,
) -> AppResult<user::Model> {
    let mut active: user::ActiveModel = find_user(&platform.db, user_id).await?.into();
    let mut problems = Violations::default();
    if let Some(name) = changes
        .display_name
        .and_then(|n| problems.check(normalize_display_name(&n, "input.displayName")))
    {
        active.display_name = Set(name);
    }
    if let Some(zone) = changes.time_zone {
        let zone = zone.trim();
        if zone.parse::<chrono_tz::Tz>().is_err() {
            problems.add(AppError::bad_input(
                "input.timeZone",
                format!("{zone:?} is not an IANA time zone name such as Europe/Berlin"),
            ));
        } else {
            active.time_zone = Set(zone.to_owned());
        }
    }
    problems.finish()?;
    save_with_event(platform, active).await
}

async fn save_with_event(
    platform: &Platform,
    mut active: user::ActiveModel,
) -> AppResult<user::Model> {
    let now = platform.clock.now();
    active.updated_at = Set(now);
    let txn = begin_write(&platform.db).await?;
    let user = active.update(&txn).await?;
    let updated = UserUpdated { user_id: user.id };
    outbox::enqueue(&txn, now, NewEvent::of(user.id, &updated)?).await?;
    txn.commit().await?;
    platform.wake_outbox();
    Ok(user)
}

/// Changes the password after checking the current one; ends every other session.
pub(crate) async fn change_password(
    platform: &Platform,
    user_id: Uuid,
    current_session: Option<Uuid>,
    current: &str,
    new: &str,
) -> AppResult<()> {
    let user = find_user(&platform.db, user_id).await?;
    // The current password is a password check like a sign-in: a stolen session must not
    // become an unthrottled oracle for it, so failures count towards the account's lockout.
    let now = platform.clock.now();
    sessions::check_lockout(&platform.db, &user.email, now).await?;
    let verified = password::verify(current.to_owned(), user.password_hash.clone()).await?;
    if !verified {
        sessions::record_attempt(&platform.db, &user.email, false, now).await?;
        metrics::counter!("agora_login_failures_total").increment(1);
        return Err(AppError::bad_input(
            "input.currentPassword",
            "current password is incorrect",
        ));
    }
    check_password(new, Some(&user.email), "input.newPassword")?;
    if current == new {
        return Err(AppError::bad_input(
            "input.newPassword",
            "new password must differ from the current one",
        ));
    }
    set_password(platform, user, new, current_session).await
}

/// Stores a new password hash and revokes sessions (all but `keep`).
pub(crate) async fn set_password(
    platform: &Platform,
    user: user::Model,
    new: &str,
    keep: Option<Uuid>,
) -> AppResult<()> {
    let hash = password::hash(new.to_owned()).await?;
    let now = platform.clock.now();
    let user_id = user.id;
    let mut active: user::ActiveModel = user.into();
    active.password_hash = Set(hash);
    active.updated_at = Set(now);
    let txn = begin_write(&platform.db).await?;
    active.update(&txn).await?;
    sessions::revoke_all(&txn, user_id, keep, RevokeReason::PasswordChanged, now).await?;
    txn.commit().await?;
    announce(
        platform,
        Revocation::UserSessions {
            user_id,
            except: keep,
        },
    )
    .await;
    Ok(())
}

/// Sets a user's role (admins only, checked by the caller). An admin cannot demote themself
/// if they are the last admin.
pub(crate) async fn set_role(
    platform: &Platform,
    acting_admin: Uuid,
    user_id: Uuid,
    role: Role,
) -> AppResult<user::Model> {
    let user = find_user(&platform.db, user_id).await?;
    if user.id == acting_admin && role != Role::Admin {
        let admins = user::Entity::find()
            .filter(user::Column::Role.eq(Role::Admin.as_str()))
            .count(&platform.db)
            .await?;
        if admins <= 1 {
            return Err(AppError::Conflict(
                "you are the last admin; promote another user first".into(),
            ));
        }
    }
    let mut active: user::ActiveModel = user.into();
    active.role = Set(role.as_str().to_owned());
    save_with_event(platform, active).await
}

/// Filters for the admin user list.
#[derive(Debug, Clone, Default)]
pub(crate) struct UserFilter {
    /// Only users with this role.
    pub role: Option<Role>,
    /// Case-insensitive substring of e-mail or display name.
    pub search: Option<String>,
}

/// One page of users, newest first.
pub(crate) async fn list_users(
    platform: &Platform,
    filter: UserFilter,
    page: &PageRequest<TimeCursor>,
) -> AppResult<Page<user::Model>> {
    let mut select = user::Entity::find();
    if let Some(role) = filter.role {
        select = select.filter(user::Column::Role.eq(role.as_str()));
    }
    if let Some(search) = filter
        .search
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
    {
        if search.chars().count() > 100 {
            return Err(AppError::bad_input(
                "search",
                "search must be at most 100 characters",
            ));
        }
        select = select.filter(
            Condition::any()
                .add(contains_ci(user::Column::Email, &search))
                .add(contains_ci(user::Column::DisplayName, &search)),
        );
    }
    fetch_time_page(
        &platform.db,
        select,
        (user::Column::CreatedAt, user::Column::Id),
        Order::Desc,
        page,
        |u| TimeCursor {
            t: u.created_at,
            id: u.id,
        },
    )
    .await
}
