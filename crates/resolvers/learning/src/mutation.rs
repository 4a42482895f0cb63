//! Learning mutations: your flashcards and their reviews, topics marked complete.

use agora_knowledge::api::{ARTICLE_TYPE, TOPIC_TYPE};
use agora_platform::{context::ContextExt, ids};
use async_graphql::{Context, ID, Object, Result};

use crate::{
    apkg,
    capture::{
        self, CaptureRuntime, NewCapture,
        types::{CAPTURE_TYPE, Capture, CaptureContentInput},
    },
    optimize,
    personal::{self, ItemInput, TopicInput},
    service::{self, CardChanges, NewCard},
    settings::{self, SettingsChanges},
    transfer,
    types::{
        AddSyllabusItemInput, CreateFlashcardInput, CreateMyTopicInput, FLASHCARD_TYPE, Flashcard,
        FlashcardImportReport, ImportAnkiPackageInput, ImportFlashcardsInput, LearningSettings,
        PERSONAL_TOPIC_TYPE, PersonalTopic, ReviewFlashcardInput, SYLLABUS_ITEM_TYPE,
        SchedulerOptimization, SyllabusItem, TopicCompletion, UpdateFlashcardInput,
        UpdateLearningSettingsInput, UpdateLearningSettingsPayload, UpdateMyTopicInput,
        UpdateSyllabusItemInput,
    },
};

/// Learning's mutation root.
#[derive(Default)]
pub struct LearningMutation;

/// Learning's mutation root.
#[Object]
impl LearningMutation {
    /// Adds a flashcard to your deck, due at once.
    async fn create_flashcard(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new flashcard: its topic, sides, difficulty label and tags.")]
        input: CreateFlashcardInput,
    ) -> Result<Flashcard> {
        let user = ctx.viewer().require_user()?;
        let card = NewCard {
            topic_id: ids::decode(&input.topic_id, TOPIC_TYPE, "input.topicId")?,
            front: input.front,
            back: input.back,
            difficulty: input.difficulty.into(),
            tags: input.tags,
        };
        Ok(Flashcard(
            service::create(ctx.platform()?, user, card).await?,
        ))
    }

    /// Edits one of your flashcards (its schedule is kept).
    async fn update_flashcard(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The flashcard's global id.")] id: ID,
        #[graphql(
            desc = "The new topic, sides, difficulty label or tags; fields left out stay as they are."
        )]
        input: UpdateFlashcardInput,
    ) -> Result<Flashcard> {
        let user = ctx.viewer().require_user()?;
        let id = ids::decode(&id, FLASHCARD_TYPE, "id")?;
        let changes = CardChanges {
            front: input.front,
            back: input.back,
            difficulty: input.difficulty.map(Into::into),
            tags: input.tags,
            topic_id: input
                .topic_id
                .map(|t| ids::decode(&t, TOPIC_TYPE, "input.topicId"))
                .transpose()?,
        };
        Ok(Flashcard(
            service::update(ctx.platform()?, user, id, changes).await?,
        ))
    }

    /// Deletes one of your flashcards and its review history; returns its id (`NOT_FOUND` when
    /// you have no such card).
    async fn delete_flashcard(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The flashcard's global id.")] id: ID,
    ) -> Result<ID> {
        let user = ctx.viewer().require_user()?;
        let id = ids::decode(&id, FLASHCARD_TYPE, "id")?;
        service::delete(ctx.platform()?, user, id).await?;
        Ok(ids::encode(FLASHCARD_TYPE, id))
    }

    /// Reviews one of your due flashcards: SM-2 sets its next review from `quality`. The review
    /// earns points (`FLASHCARD_REVIEWED`) when it comes on a later local day than the card was
    /// made (a card made and reviewed today earns nothing). A card not yet due is a `CONFLICT`.
    async fn review_flashcard(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The due card and how well you recalled it, 0 to 5.")]
        input: ReviewFlashcardInput,
    ) -> Result<Flashcard> {
        let user = ctx.viewer().require_user()?;
        let id = ids::decode(&input.flashcard_id, FLASHCARD_TYPE, "input.flashcardId")?;
        Ok(Flashcard(
            service::review(ctx.platform()?, user, id, input.quality).await?,
        ))
    }

    /// Marks a topic complete for you once you have studied it (two passing reviews of your
    /// cards in it, each on a later day than its card was made; `BAD_USER_INPUT` before that);
    /// points (`TOPIC_COMPLETED`) come the first time only.
    async fn complete_topic(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The topic's global id.")] topic_id: ID,
    ) -> Result<TopicCompletion> {
        let user = ctx.viewer().require_user()?;
        let topic = ids::decode(&topic_id, TOPIC_TYPE, "topicId")?;
        let (model, first_time) = service::complete_topic(ctx.platform()?, user, topic).await?;
        Ok(TopicCompletion { model, first_time })
    }

    /// Chooses your scheduler and its targets. Switching scheduler converts every card you
    /// have reviewed from its review log (FSRS: stability and difficulty; SM-2: ease factor and
    /// repetitions), all or nothing; due dates stay as they are. Values out of range are one
    /// `BAD_USER_INPUT` naming each field, and nothing changes.
    async fn update_learning_settings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to change; fields left out stay as they are.")]
        input: UpdateLearningSettingsInput,
    ) -> Result<UpdateLearningSettingsPayload> {
        let user = ctx.viewer().require_user()?;
        let changes = SettingsChanges {
            scheduler: input.scheduler.map(Into::into),
            desired_retention: input.desired_retention,
            maximum_interval_days: input.maximum_interval_days,
            new_cards_per_day: input.new_cards_per_day,
        };
        let (settings, converted) = settings::update(ctx.platform()?, user, changes).await?;
        Ok(UpdateLearningSettingsPayload {
            settings: LearningSettings(settings),
            converted_cards: i32::try_from(converted).unwrap_or(i32::MAX),
        })
    }

    /// Fits your own FSRS parameters to your review log, in the background: returns the run at
    /// once (`RUNNING`); follow it with the `schedulerOptimization` query or subscription. When
    /// done it reports log-loss and RMSE of SM-2, default FSRS and the fitted FSRS on your
    /// newest fifth of reviews (held out from the fit) and saves the parameters to your
    /// settings. Needs at least 400 reviews, one run at a time (`CONFLICT` otherwise).
    async fn optimize_my_scheduler(&self, ctx: &Context<'_>) -> Result<SchedulerOptimization> {
        let user = ctx.viewer().require_user()?;
        Ok(SchedulerOptimization(
            optimize::start(ctx.platform()?, user).await?,
        ))
    }

    /// Imports cards from Anki-compatible text (TSV: Anki's "Notes in Plain Text"; or CSV;
    /// front, back and space-separated tags) into one topic, all or nothing: every row is
    /// checked (both sides, tags, duplicates within the file and in the topic) and reported by
    /// line; one refused row and nothing is stored.
    /// `dryRun` reports without storing. At most 2,000 rows and 900,000 bytes per import.
    async fn import_flashcards(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The file and where its cards go.")] input: ImportFlashcardsInput,
    ) -> Result<FlashcardImportReport> {
        let user = ctx.viewer().require_user()?;
        let topic = ids::decode(&input.topic_id, TOPIC_TYPE, "input.topicId")?;
        let report = transfer::import(
            ctx.platform()?,
            user,
            topic,
            input.format.into(),
            &input.content,
            input.dry_run,
        )
        .await?;
        Ok(report.into())
    }

    /// Imports an Anki package (`.apkg`, sent as a GraphQL multipart upload) into one topic,
    /// all or nothing: each note becomes a card from its first two fields (a cloze note: the
    /// deletions blanked on the front, answered on the back) with its tags, its first card's
    /// scheduling and its review log; every note is checked and reported in note order.
    /// `dryRun` reports without storing. At most 10,000 notes and 200,000 reviews.
    async fn import_anki_package(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The package and where its cards go.")] input: ImportAnkiPackageInput,
    ) -> Result<FlashcardImportReport> {
        let user = ctx.viewer().require_user()?;
        let topic = ids::decode(&input.topic_id, TOPIC_TYPE, "input.topicId")?;
        let package = input
            .upload
            .value(ctx)
            .map_err(|e| {
                agora_platform::AppError::bad_input(
                    "input.upload",
                    format!("the upload could not be read: {e}"),
                )
            })?
            .content
            .to_vec();
        let report = apkg::import(ctx.platform()?, user, topic, package, input.dry_run).await?;
        Ok(report.into())
    }

    /// Adds a topic of your own (private; under one of yours with `parentId`, at most 5 levels;
    /// following a public topic with `linkedTopicId`). At most 500 per learner.
    async fn create_my_topic(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new topic.")] input: CreateMyTopicInput,
    ) -> Result<PersonalTopic> {
        let user = ctx.viewer().require_user()?;
        let topic = TopicInput {
            name: Some(input.name),
            parent: Some(ids::decode_opt(
                input.parent_id.as_ref(),
                PERSONAL_TOPIC_TYPE,
                "input.parentId",
            )?),
            linked: Some(ids::decode_opt(
                input.linked_topic_id.as_ref(),
                TOPIC_TYPE,
                "input.linkedTopicId",
            )?),
        };
        Ok(PersonalTopic(
            personal::create_topic(ctx.platform()?, user, topic).await?,
        ))
    }

    /// Renames, moves or relinks one of your topics (`NOT_FOUND` when it is not yours).
    async fn update_my_topic(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The topic's global id.")] id: ID,
        #[graphql(desc = "What to change.")] input: UpdateMyTopicInput,
    ) -> Result<PersonalTopic> {
        let user = ctx.viewer().require_user()?;
        let id = ids::decode(&id, PERSONAL_TOPIC_TYPE, "id")?;
        let topic = TopicInput {
            name: input.name,
            parent: maybe(input.parent_id, PERSONAL_TOPIC_TYPE, "input.parentId")?,
            linked: maybe(input.linked_topic_id, TOPIC_TYPE, "input.linkedTopicId")?,
        };
        Ok(PersonalTopic(
            personal::update_topic(ctx.platform()?, user, id, topic).await?,
        ))
    }

    /// Deletes one of your topics, its subtopics and their syllabus items; returns its id.
    async fn delete_my_topic(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The topic's global id.")] id: ID,
    ) -> Result<ID> {
        let user = ctx.viewer().require_user()?;
        let uuid = ids::decode(&id, PERSONAL_TOPIC_TYPE, "id")?;
        personal::delete_topic(ctx.platform()?, user, uuid).await?;
        Ok(ids::encode(PERSONAL_TOPIC_TYPE, uuid))
    }

    /// Adds an item to one of your topics' syllabus (at most 200 items).
    async fn add_syllabus_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item and where it goes.")] input: AddSyllabusItemInput,
    ) -> Result<SyllabusItem> {
        let user = ctx.viewer().require_user()?;
        let topic = ids::decode(&input.topic_id, PERSONAL_TOPIC_TYPE, "input.topicId")?;
        let item = ItemInput {
            title: Some(input.title),
            position: input.order,
            done: None,
            article: Some(ids::decode_opt(
                input.linked_article_id.as_ref(),
                ARTICLE_TYPE,
                "input.linkedArticleId",
            )?),
            linked: Some(ids::decode_opt(
                input.linked_topic_id.as_ref(),
                TOPIC_TYPE,
                "input.linkedTopicId",
            )?),
        };
        Ok(SyllabusItem(
            personal::add_item(ctx.platform()?, user, topic, item).await?,
        ))
    }

    /// Changes, moves or ticks one of your syllabus items. A done item linked to a public
    /// topic (itself or through its topic) is evidence for `completeTopic` there once it was
    /// marked done on a later day than it was made.
    async fn update_syllabus_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item's global id.")] id: ID,
        #[graphql(desc = "What to change.")] input: UpdateSyllabusItemInput,
    ) -> Result<SyllabusItem> {
        let user = ctx.viewer().require_user()?;
        let id = ids::decode(&id, SYLLABUS_ITEM_TYPE, "id")?;
        let item = ItemInput {
            title: input.title,
            position: input.order,
            done: input.done,
            article: maybe(
                input.linked_article_id,
                ARTICLE_TYPE,
                "input.linkedArticleId",
            )?,
            linked: maybe(input.linked_topic_id, TOPIC_TYPE, "input.linkedTopicId")?,
        };
        Ok(SyllabusItem(
            personal::update_item(ctx.platform()?, user, id, item).await?,
        ))
    }

    /// Deletes one of your syllabus items (the rest close up); returns its id.
    async fn delete_syllabus_item(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The item's global id.")] id: ID,
    ) -> Result<ID> {
        let user = ctx.viewer().require_user()?;
        let uuid = ids::decode(&id, SYLLABUS_ITEM_TYPE, "id")?;
        personal::delete_item(ctx.platform()?, user, uuid).await?;
        Ok(ids::encode(SYLLABUS_ITEM_TYPE, uuid))
    }

    /// Captures text, a web page, a screenshot or a video to be made into a personal topic
    /// with 3–5 flashcards, in the background: returns the capture at once (`PENDING`); follow
    /// it with `captureUpdated` or `capture(id)`. Uploads go as multipart/form-data (the
    /// GraphQL multipart request format). At most 5 captures waiting at once (`CONFLICT`).
    async fn capture_content(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to capture.")] input: CaptureContentInput,
    ) -> Result<Capture> {
        let user = ctx.viewer().require_user()?;
        let topic = capture::types::topic_of(&input)?;
        let upload = match &input.upload {
            Some(upload) => {
                let value = upload.value(ctx).map_err(|e| {
                    agora_platform::AppError::bad_input(
                        "input.upload",
                        format!("the upload could not be read: {e}"),
                    )
                })?;
                Some(capture::Upload {
                    content_type: value
                        .content_type
                        .clone()
                        .unwrap_or_else(|| "application/octet-stream".into()),
                    bytes: value.content.to_vec(),
                })
            }
            None => None,
        };
        let made = capture::submit(
            ctx.platform()?,
            CaptureRuntime::of(ctx)?,
            user,
            NewCapture {
                kind: input.kind.into(),
                content: input.content,
                upload,
                source: input.source,
                topic,
            },
        )
        .await?;
        Ok(Capture(made))
    }

    /// Deletes one of your captures (and its upload). The topic and cards made from it stay;
    /// a capture still being processed stops and leaves nothing.
    async fn delete_capture(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The capture's global id.")] id: ID,
    ) -> Result<ID> {
        let user = ctx.viewer().require_user()?;
        let uuid = ids::decode(&id, CAPTURE_TYPE, "id")?;
        capture::delete(ctx.platform()?, user, uuid).await?;
        Ok(id)
    }
}

/// A field that may be left out (`None`), set to null (`Some(None)`) or to an id.
fn maybe(
    value: async_graphql::MaybeUndefined<ID>,
    kind: &str,
    field: &str,
) -> Result<Option<Option<uuid::Uuid>>> {
    Ok(match value {
        async_graphql::MaybeUndefined::Undefined => None,
        async_graphql::MaybeUndefined::Null => Some(None),
        async_graphql::MaybeUndefined::Value(id) => Some(Some(ids::decode(&id, kind, field)?)),
    })
}
