//! `subscription schedulerOptimization`: a run of the optimiser, now and after each step.

use agora_entities::learning::{capture::Status as CaptureState, scheduler_optimization::Status};
use agora_platform::{AppError, context::ContextExt, ids};
use async_graphql::{Context, ID, Result, Subscription};
use futures::{Stream, StreamExt};

use crate::{
    capture::{
        self,
        types::{CAPTURE_TYPE, Capture},
    },
    optimize,
    types::{SCHEDULER_OPTIMIZATION_TYPE, SchedulerOptimization},
};

/// Learning's subscription root.
#[derive(Default)]
pub struct LearningSubscription;

#[Subscription]
impl LearningSubscription {
    /// One of your scheduler optimisations: first as it is, then after each progress step,
    /// ending with it `DONE` or `FAILED` (re-read from the database on every message, so a
    /// lost message only delays the next figure).
    async fn scheduler_optimization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The run's global id.")] id: ID,
    ) -> Result<impl Stream<Item = Result<SchedulerOptimization>>> {
        let user = ctx.viewer().require_user()?;
        let id = ids::decode(&id, SCHEDULER_OPTIMIZATION_TYPE, "id")?;
        let platform = ctx.platform()?.clone();
        let mut messages = platform.bus.subscribe(&optimize::channel(id)).await;
        if optimize::find(&platform, user, id).await?.is_none() {
            return Err(AppError::NotFound("no such scheduler optimization".into()).into());
        }
        Ok(async_stream::stream! {
            let mut last = None;
            loop {
                match optimize::find(&platform, user, id).await {
                    Ok(Some(run)) => {
                        let finished = run.status != Status::Running;
                        let seen = (run.status, run.progress.to_bits());
                        if last != Some(seen) {
                            last = Some(seen);
                            yield Ok(SchedulerOptimization(run));
                        }
                        if finished {
                            break;
                        }
                    }
                    Ok(None) => break,
                    Err(err) => {
                        yield Err(err.into());
                        break;
                    }
                }
                if messages.next().await.is_none() {
                    break;
                }
            }
        })
    }

    /// Your captures as they change (each time one is sent, claimed, processed, fails or is
    /// deleted — a deleted one is not sent); with `id`, only that one, sent first as it is and
    /// ending once it is `PROCESSED` or `FAILED`. Each change is re-read when it is announced,
    /// so changes in quick succession may arrive as the latest one alone.
    async fn capture_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "One capture's global id, to follow only it.")] id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<Capture>>> {
        let user = ctx.viewer().require_user()?;
        let only = ids::decode_opt(id.as_ref(), CAPTURE_TYPE, "id")?;
        let platform = ctx.platform()?.clone();
        let mut messages = platform.bus.subscribe(&capture::channel(user)).await;
        let first = match only {
            Some(id) => Some(
                capture::find(&platform, user, id)
                    .await?
                    .ok_or_else(|| AppError::NotFound("no such capture".into()))?,
            ),
            None => None,
        };
        Ok(async_stream::stream! {
            let finished = |c: &agora_entities::learning::capture::Model| {
                matches!(c.status, CaptureState::Processed | CaptureState::Failed)
            };
            let mut last = None;
            if let Some(current) = first {
                let done = finished(&current);
                last = Some((current.id, current.status, current.updated_at));
                yield Ok(Capture(current));
                if done {
                    return;
                }
            }
            while let Some(message) = messages.next().await {
                // An event names a capture; a gap re-reads the one followed (all: nothing to
                // re-read, the next change is sent).
                let changed = match message {
                    agora_platform::bus::BusMessage::Event(body) => body.parse::<uuid::Uuid>().ok(),
                    agora_platform::bus::BusMessage::Gap => only,
                };
                let Some(changed) = changed else { continue };
                if only.is_some_and(|id| id != changed) {
                    continue;
                }
                match capture::find(&platform, user, changed).await {
                    Ok(Some(current)) => {
                        let seen = Some((current.id, current.status, current.updated_at));
                        if seen == last {
                            continue;
                        }
                        last = seen;
                        let done = only.is_some() && finished(&current);
                        yield Ok(Capture(current));
                        if done {
                            break;
                        }
                    }
                    Ok(None) => {
                        if only.is_some() {
                            break;
                        }
                    }
                    Err(err) => {
                        yield Err(err.into());
                        break;
                    }
                }
            }
        })
    }
}
