//! The knowledge hub: authorization of every mutation, validation, the topic tree, visibility
//! of drafts and of correct answers, filters, and loaders that keep a page to a fixed number of
//! statements.

use serde_json::{Value, json};

use super::common::{
    RoleTokens, TestServer, assert_body_snapshot, assert_code, assert_no_errors,
    knowledge::{CREATE_QUESTION, CREATE_TOPIC, question, question_input, topic},
};

/// Runs `query` as anonymous, learner, contributor, moderator and admin: the first three are
/// refused, the last two allowed.
async fn only_moderators(
    server: &TestServer,
    tokens: &RoleTokens,
    query: &str,
    variables: impl Fn() -> Value,
) {
    assert_code!(
        server.gql(query, variables()).await,
        "UNAUTHENTICATED",
        "anonymous: {query}"
    );
    for token in [&tokens.learner, &tokens.contributor] {
        assert_code!(
            server.gql_as(token, query, variables()).await,
            "FORBIDDEN",
            "{query}"
        );
    }
    for token in [&tokens.moderator, &tokens.admin] {
        assert_no_errors(&server.gql_as(token, query, variables()).await);
    }
}

#[tokio::test]
async fn every_mutation_is_for_moderators_and_admins_only() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let root = topic(&server, &tokens.admin, "Root", None).await;
    let root_id = root["id"].as_str().expect("id").to_owned();

    let counter = std::sync::atomic::AtomicUsize::new(0);
    let unique = || counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    only_moderators(
        &server,
        &tokens,
        CREATE_TOPIC,
        || json!({ "i": { "name": format!("Topic {}", unique()) } }),
    )
    .await;
    only_moderators(
        &server,
        &tokens,
        "mutation($id: ID!) { updateTopic(id: $id, input: { description: \"d\" }) { id } }",
        || json!({ "id": root_id }),
    )
    .await;
    only_moderators(&server, &tokens, CREATE_QUESTION, || {
        json!({ "i": question_input(&root_id, &format!("What is the capital of France, take {}?", unique())) })
    })
    .await;
    let q = question(
        &server,
        &tokens.admin,
        &root_id,
        "Which city is the capital of France?",
    )
    .await;
    only_moderators(
        &server,
        &tokens,
        "mutation($id: ID!) { updateQuestion(id: $id, input: { difficulty: 3 }) { id } }",
        || json!({ "id": q["id"] }),
    )
    .await;
    only_moderators(
        &server,
        &tokens,
        "mutation($id: ID!) { archiveQuestion(id: $id) { status } }",
        || json!({ "id": q["id"] }),
    )
    .await;
    let article = json!({ "topicId": root_id, "title": "On capitals", "summary": "Why capitals move.", "body": "Some text." });
    only_moderators(
        &server,
        &tokens,
        "mutation($i: ArticleInput!) { createArticle(input: $i) { id } }",
        || json!({ "i": article }),
    )
    .await;
    let created = server
        .gql_as(
            &tokens.admin,
            "mutation($i: ArticleInput!) { createArticle(input: $i) { id readingMinutes } }",
            json!({ "i": article }),
        )
        .await;
    assert_eq!(created["data"]["createArticle"]["readingMinutes"], 1);
    let article_id = created["data"]["createArticle"]["id"].clone();
    only_moderators(
        &server,
        &tokens,
        "mutation($id: ID!) { updateArticle(id: $id, input: { title: \"Capitals\" }) { id } }",
        || json!({ "id": article_id }),
    )
    .await;
    // deleteTopic: the refusals come before any content check; a moderator may delete an
    // empty topic, an admin another one.
    let empties: Vec<Value> = vec![
        topic(&server, &tokens.admin, "Empty one", None).await,
        topic(&server, &tokens.admin, "Empty two", None).await,
    ];
    // Calls run anonymous, learner, contributor, moderator, admin: the admin's is the fifth.
    let calls = std::sync::atomic::AtomicUsize::new(0);
    only_moderators(
        &server,
        &tokens,
        "mutation($id: ID!) { deleteTopic(id: $id) }",
        || {
            let call = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            json!({ "id": empties[usize::from(call >= 4)]["id"] })
        },
    )
    .await;
}

#[tokio::test]
async fn question_input_errors_name_the_field() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let root = topic(&server, &tokens.admin, "Geography", None).await;
    let id = root["id"].as_str().expect("id");
    let mut cases: Vec<(Value, &str)> = Vec::new();
    let mut two_correct = question_input(id, "What is the capital of France?");
    two_correct["choices"][1]["isCorrect"] = json!(true);
    cases.push((two_correct, "input.choices"));
    let mut duplicate = question_input(id, "What is the capital of France?");
    duplicate["choices"][2]["text"] = json!(" paris");
    cases.push((duplicate, "input.choices[2].text"));
    let mut short = question_input(id, "Capital?");
    short["difficulty"] = json!(2);
    cases.push((short, "input.prompt"));
    let mut hard = question_input(id, "What is the capital of France?");
    hard["difficulty"] = json!(9);
    cases.push((hard, "input.difficulty"));
    let mut bad_tag = question_input(id, "What is the capital of France?");
    bad_tag["tags"] = json!(["c++"]);
    cases.push((bad_tag, "input.tags[0]"));
    let mut no_topic = question_input(id, "What is the capital of France?");
    no_topic["topicId"] = json!("garbage");
    cases.push((no_topic, "input.topicId"));
    for (input, field) in cases {
        let body = server
            .gql_as(&tokens.moderator, CREATE_QUESTION, json!({ "i": input }))
            .await;
        assert_code!(body, "BAD_USER_INPUT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
}

#[tokio::test]
async fn learners_never_see_which_choice_is_correct_nor_drafts() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let root = topic(&server, &tokens.admin, "Geography", None).await;
    let id = root["id"].as_str().expect("id");
    let created = question(
        &server,
        &tokens.moderator,
        id,
        "What is the capital of France?",
    )
    .await;
    assert_eq!(
        created["tags"],
        json!([{ "slug": "capitals" }, { "slug": "europe" }])
    );
    let mut draft = question_input(id, "Which river flows through Paris?");
    draft["status"] = json!("DRAFT");
    let draft = server
        .gql_as(&tokens.moderator, CREATE_QUESTION, json!({ "i": draft }))
        .await;
    let draft_id = draft["data"]["createQuestion"]["id"].clone();

    let read = "query($id: ID!) { question(id: $id) { prompt choices { text isCorrect } } }";
    let as_learner = server
        .gql_as(&tokens.learner, read, json!({ "id": created["id"] }))
        .await;
    let choices = as_learner["data"]["question"]["choices"]
        .as_array()
        .expect("choices");
    assert!(
        choices.iter().all(|c| c["isCorrect"].is_null()),
        "{as_learner}"
    );
    let anonymous = server.gql(read, json!({ "id": created["id"] })).await;
    assert!(anonymous["data"]["question"]["choices"][0]["isCorrect"].is_null());
    let as_moderator = server
        .gql_as(&tokens.moderator, read, json!({ "id": created["id"] }))
        .await;
    assert_eq!(
        as_moderator["data"]["question"]["choices"][0]["isCorrect"],
        true
    );

    assert!(
        server
            .gql_as(&tokens.learner, read, json!({ "id": draft_id }))
            .await["data"]["question"]
            .is_null()
    );
    assert!(
        !server
            .gql_as(&tokens.admin, read, json!({ "id": draft_id }))
            .await["data"]["question"]
            .is_null()
    );
    let drafts = "{ questions(filter: { status: DRAFT }) { edges { node { prompt } } } }";
    assert_code!(
        server.gql_as(&tokens.learner, drafts, json!({})).await,
        "FORBIDDEN"
    );
    let listed = server.gql_as(&tokens.moderator, drafts, json!({})).await;
    assert_eq!(
        listed["data"]["questions"]["edges"]
            .as_array()
            .expect("edges")
            .len(),
        1
    );
}

#[tokio::test]
async fn the_topic_tree_moves_safely_and_keeps_slugs_unique_among_siblings() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let science = topic(&server, &tokens.admin, "Science", None).await;
    let physics = topic(&server, &tokens.admin, "Physics", science["id"].as_str()).await;
    let optics = topic(&server, &tokens.admin, "Optics", physics["id"].as_str()).await;
    assert_eq!(optics["path"], "science/physics/optics");

    let update =
        "mutation($id: ID!, $i: UpdateTopicInput!) { updateTopic(id: $id, input: $i) { path } }";
    let cycle = server
        .gql_as(
            &tokens.admin,
            update,
            json!({ "id": science["id"], "i": { "parentId": optics["id"] } }),
        )
        .await;
    assert_code!(cycle, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "the_topic_tree_moves_safely_and_keeps_slugs_unique_among_siblings-cycle",
        cycle
    );
    let own = server
        .gql_as(
            &tokens.admin,
            update,
            json!({ "id": science["id"], "i": { "parentId": science["id"] } }),
        )
        .await;
    assert_code!(own, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "the_topic_tree_moves_safely_and_keeps_slugs_unique_among_siblings-own",
        own
    );

    let duplicate = server
        .gql_as(
            &tokens.admin,
            CREATE_TOPIC,
            json!({ "i": { "name": "physics", "parentId": science["id"] } }),
        )
        .await;
    assert_code!(duplicate, "CONFLICT");
    assert_body_snapshot!(
        "the_topic_tree_moves_safely_and_keeps_slugs_unique_among_siblings-duplicate",
        duplicate
    );
    // The same slug under another parent is fine.
    let history = topic(&server, &tokens.admin, "History", None).await;
    topic(&server, &tokens.admin, "Physics", history["id"].as_str()).await;
    let ambiguous = server
        .gql("{ topic(slug: \"physics\") { path } }", json!({}))
        .await;
    assert_code!(ambiguous, "BAD_USER_INPUT", "{ambiguous}");

    // Moving physics to the root carries optics along; ancestors follow.
    let moved = server
        .gql_as(
            &tokens.admin,
            update,
            json!({ "id": physics["id"], "i": { "parentId": null, "slug": "natural-physics" } }),
        )
        .await;
    assert_eq!(moved["data"]["updateTopic"]["path"], "natural-physics");
    let optics_now = server
        .gql(
            "query($s: String!) { topic(slug: $s) { path ancestors { slug } } }",
            json!({ "s": "natural-physics/optics" }),
        )
        .await;
    assert_eq!(
        optics_now["data"]["topic"]["ancestors"],
        json!([{ "slug": "natural-physics" }])
    );
    // Now only history/physics uses the bare slug.
    let unique = server
        .gql("{ topic(slug: \"physics\") { path } }", json!({}))
        .await;
    assert_eq!(unique["data"]["topic"]["path"], "history/physics");
}

#[tokio::test]
async fn deleting_a_topic_with_content_needs_a_reassignment() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let old = topic(&server, &tokens.admin, "Old", None).await;
    let new = topic(&server, &tokens.admin, "New", None).await;
    let child = topic(&server, &tokens.admin, "Child", old["id"].as_str()).await;
    question(
        &server,
        &tokens.admin,
        old["id"].as_str().expect("id"),
        "What is the capital of France?",
    )
    .await;
    let delete = "mutation($id: ID!, $to: ID) { deleteTopic(id: $id, reassignTo: $to) }";
    assert_code!(
        server
            .gql_as(&tokens.admin, delete, json!({ "id": old["id"] }))
            .await,
        "CONFLICT"
    );
    assert_no_errors(
        &server
            .gql_as(&tokens.admin, delete, json!({ "id": child["id"] }))
            .await,
    );
    assert_code!(
        server
            .gql_as(&tokens.admin, delete, json!({ "id": old["id"] }))
            .await,
        "CONFLICT"
    );
    let deleted = server
        .gql_as(
            &tokens.admin,
            delete,
            json!({ "id": old["id"], "to": new["id"] }),
        )
        .await;
    assert_no_errors(&deleted);
    assert_eq!(deleted["data"]["deleteTopic"], old["id"]);
    let moved = server
        .gql("query($t: ID!) { questions(filter: { topicId: $t }) { edges { node { topic { name } } } } }", json!({ "t": new["id"] }))
        .await;
    assert_eq!(
        moved["data"]["questions"]["edges"][0]["node"]["topic"]["name"],
        "New"
    );
}

#[tokio::test]
async fn question_filters_combine() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let geo = topic(&server, &tokens.admin, "Geography", None).await;
    let capitals = topic(&server, &tokens.admin, "Capitals", geo["id"].as_str()).await;
    let geo_id = geo["id"].as_str().expect("id");
    let capitals_id = capitals["id"].as_str().expect("id");
    question(
        &server,
        &tokens.admin,
        capitals_id,
        "What is the capital of France?",
    )
    .await;
    let mut other = question_input(geo_id, "Which is the longest river in Europe?");
    other["tags"] = json!(["rivers", "europe"]);
    other["difficulty"] = json!(4);
    assert_no_errors(
        &server
            .gql_as(&tokens.admin, CREATE_QUESTION, json!({ "i": other }))
            .await,
    );

    let list = "query($f: QuestionFilterInput) { questions(first: 10, filter: $f) { edges { node { prompt } } } }";
    let count = |body: Value| {
        body["data"]["questions"]["edges"]
            .as_array()
            .map_or(usize::MAX, Vec::len)
    };
    assert_eq!(
        count(
            server
                .gql(list, json!({ "f": { "topicId": geo_id } }))
                .await
        ),
        1
    );
    assert_eq!(
        count(
            server
                .gql(
                    list,
                    json!({ "f": { "topicId": geo_id, "includeSubtopics": true } })
                )
                .await
        ),
        2
    );
    assert_eq!(
        count(
            server
                .gql(list, json!({ "f": { "tags": ["europe"] } }))
                .await
        ),
        2
    );
    assert_eq!(
        count(
            server
                .gql(list, json!({ "f": { "tags": ["Europe", "capitals"] } }))
                .await
        ),
        1
    );
    assert_eq!(
        count(server.gql(list, json!({ "f": { "difficulty": 4 } })).await),
        1
    );
    assert_eq!(
        count(server.gql(list, json!({ "f": { "text": "RIVER" } })).await),
        1
    );
    let bad = server.gql(list, json!({ "f": { "difficulty": 0 } })).await;
    assert_body_snapshot!("question_filters_combine-bad", bad);
}

#[tokio::test]
async fn a_page_of_questions_costs_the_same_statements_whatever_its_size() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let root = topic(&server, &tokens.admin, "Bank", None).await;
    let id = root["id"].as_str().expect("id");
    for n in 0..30 {
        question(
            &server,
            &tokens.admin,
            id,
            &format!("Question number {n} about capitals?"),
        )
        .await;
    }
    server.wait_for_outbox().await;
    let page = "query($n: Int) { questions(first: $n) { edges { node { prompt topic { name } tags { slug } author { displayName } choices { text } } } } }";
    // The pool's counter also sees the outbox dispatcher's polls, which can only add: the
    // cheapest of a few runs is the page's own cost.
    let mut costs = Vec::new();
    for size in [2, 30] {
        let mut cheapest = u64::MAX;
        for _ in 0..3 {
            let before = server.state.platform.statements.get();
            let body = server.gql(page, json!({ "n": size })).await;
            assert_no_errors(&body);
            let edges = body["data"]["questions"]["edges"]
                .as_array()
                .expect("edges")
                .len();
            assert_eq!(edges, size as usize);
            cheapest = cheapest.min(server.state.platform.statements.get() - before);
        }
        costs.push(cheapest);
    }
    // One statement each: the page, its topics, tags, authors and choices.
    assert_eq!(costs, [5, 5], "statements per page");
}

#[tokio::test]
async fn publishing_a_question_writes_question_published_to_the_outbox() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let root = topic(&server, &tokens.admin, "Bank", None).await;
    question(
        &server,
        &tokens.admin,
        root["id"].as_str().expect("id"),
        "What is the capital of France?",
    )
    .await;
    let events = agora_entities::platform::outbox_event::Entity::find()
        .filter(agora_entities::platform::outbox_event::Column::EventType.eq("QUESTION_PUBLISHED"))
        .all(&server.state.platform.db)
        .await
        .expect("query");
    assert_eq!(events.len(), 1);
    assert!(events[0].payload["authorId"].is_string());
}

const SEARCH: &str = "query($q: String!, $k: [SearchKind!]) { search(query: $q, kinds: $k) { kind score snippet question { prompt } article { title } } }";

#[tokio::test]
async fn search_ranks_published_content_with_highlighted_snippets() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let root = topic(&server, &tokens.admin, "Air", None).await;
    let id = root["id"].as_str().expect("id");
    let mut ozone = question_input(id, "Which gas forms ground-level ozone smog on hot days?");
    ozone["explanation"] = json!(
        "Ozone forms when sunlight drives reactions of nitrogen oxides with <volatile> organics."
    );
    assert_no_errors(
        &server
            .gql_as(&tokens.admin, CREATE_QUESTION, json!({ "i": ozone }))
            .await,
    );
    let mut hidden = question_input(id, "A draft question about ozone layers?");
    hidden["status"] = json!("DRAFT");
    assert_no_errors(
        &server
            .gql_as(&tokens.admin, CREATE_QUESTION, json!({ "i": hidden }))
            .await,
    );
    question(&server, &tokens.admin, id, "What is the capital of France?").await;
    let article = json!({ "topicId": id, "title": "Ozone and your lungs", "summary": "How ozone harms breathing.", "body": "Ozone irritates airways. Ozone peaks in the afternoon." });
    assert_no_errors(
        &server
            .gql_as(
                &tokens.admin,
                "mutation($i: ArticleInput!) { createArticle(input: $i) { id } }",
                json!({ "i": article }),
            )
            .await,
    );

    let body = server.gql(SEARCH, json!({ "q": "ozone" })).await;
    assert_no_errors(&body);
    let hits = body["data"]["search"].as_array().expect("hits");
    assert_eq!(hits.len(), 2, "the draft is not searchable: {body}");
    let kinds: Vec<_> = hits
        .iter()
        .map(|h| h["kind"].as_str().expect("kind"))
        .collect();
    assert!(kinds.contains(&"QUESTION") && kinds.contains(&"ARTICLE"));
    assert!(hits[0]["score"].as_f64().expect("score") >= hits[1]["score"].as_f64().expect("score"));
    for hit in hits {
        let snippet = hit["snippet"].as_str().expect("snippet");
        assert!(
            snippet.to_lowercase().contains("<mark>ozone</mark>"),
            "{snippet}"
        );
        assert!(
            !snippet.contains("<volatile>"),
            "content is escaped: {snippet}"
        );
    }
    let questions_only = server
        .gql(SEARCH, json!({ "q": "ozone", "k": ["QUESTION"] }))
        .await;
    let only = questions_only["data"]["search"].as_array().expect("hits");
    assert_eq!(only.len(), 1);
    assert!(
        only[0]["question"]["prompt"]
            .as_str()
            .expect("prompt")
            .contains("ozone")
    );

    let paris = server
        .gql(SEARCH, json!({ "q": "capital of France" }))
        .await;
    assert_eq!(
        paris["data"]["search"][0]["question"]["prompt"],
        "What is the capital of France?"
    );
    // Query syntax from users is data, not syntax.
    assert_no_errors(
        &server
            .gql(SEARCH, json!({ "q": "\"ozone\" OR NEAR(* -" }))
            .await,
    );
    assert_code!(
        server.gql(SEARCH, json!({ "q": "   " })).await,
        "BAD_USER_INPUT"
    );
    let too_many = server
        .gql(
            "{ search(query: \"ozone\", first: 500) { kind } }",
            json!({}),
        )
        .await;
    assert_body_snapshot!(
        "search_ranks_published_content_with_highlighted_snippets-too_many",
        too_many
    );
}

const IMPORT: &str = "mutation($f: TransferFormat!, $d: String!, $dry: Boolean) { importQuestions(format: $f, data: $d, dryRun: $dry) { committed valid invalid rows { index ok field message question } } }";

fn rows_json(topic_path: &str) -> Value {
    json!([
        {
            "topic": topic_path,
            "prompt": "Which planet is known as the Red Planet?",
            "choices": [{ "text": "Mars", "isCorrect": true }, { "text": "Venus", "isCorrect": false }],
            "explanation": "Iron oxide on its surface makes Mars look red.",
            "difficulty": 1,
            "tags": ["planets"]
        },
        {
            "topic": topic_path,
            "prompt": "What is the largest planet in the Solar System?",
            "choices": [{ "text": "Jupiter", "isCorrect": true }, { "text": "Saturn", "isCorrect": false }, { "text": "Neptune", "isCorrect": false }],
            "explanation": "Jupiter is more than twice as massive as all other planets combined.",
            "difficulty": 2
        }
    ])
}

#[tokio::test]
async fn json_import_is_all_or_nothing_and_names_bad_rows() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let space = topic(&server, &tokens.admin, "Space", None).await;
    let path = space["path"].as_str().expect("path");

    let mut rows = rows_json(path);
    rows[1]["choices"][1]["isCorrect"] = json!(true);
    rows.as_array_mut().expect("rows").push(json!({ "topic": "nowhere", "prompt": "x", "choices": [], "explanation": "", "difficulty": 1 }));
    let bad = server
        .gql_as(
            &tokens.moderator,
            IMPORT,
            json!({ "f": "JSON", "d": rows.to_string() }),
        )
        .await;
    assert_no_errors(&bad);
    let report = &bad["data"]["importQuestions"];
    assert_eq!(report["committed"], false);
    assert_eq!(
        (report["valid"].as_i64(), report["invalid"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(report["rows"][1]["field"], "rows[1].choices");
    assert_eq!(report["rows"][2]["field"], "rows[2].topic");
    let count = "{ questions { edges { node { id } } } }";
    assert_eq!(
        server.gql(count, json!({})).await["data"]["questions"]["edges"]
            .as_array()
            .expect("e")
            .len(),
        0
    );

    let dry = server
        .gql_as(
            &tokens.moderator,
            IMPORT,
            json!({ "f": "JSON", "d": rows_json(path).to_string(), "dry": true }),
        )
        .await;
    assert_eq!(dry["data"]["importQuestions"]["committed"], false);
    assert_eq!(dry["data"]["importQuestions"]["valid"], 2);
    assert_eq!(
        server.gql(count, json!({})).await["data"]["questions"]["edges"]
            .as_array()
            .expect("e")
            .len(),
        0
    );

    let good = server
        .gql_as(
            &tokens.moderator,
            IMPORT,
            json!({ "f": "JSON", "d": rows_json(path).to_string() }),
        )
        .await;
    assert_eq!(good["data"]["importQuestions"]["committed"], true);
    assert!(good["data"]["importQuestions"]["rows"][0]["question"].is_string());
    let listed = server
        .gql(
            "{ questions { edges { node { source tags { slug } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["data"]["questions"]["edges"]
            .as_array()
            .expect("e")
            .len(),
        2
    );
    assert_eq!(
        listed["data"]["questions"]["edges"][0]["node"]["source"],
        "IMPORTED"
    );

    let garbage = server
        .gql_as(
            &tokens.moderator,
            IMPORT,
            json!({ "f": "JSON", "d": "{ not json" }),
        )
        .await;
    assert_body_snapshot!(
        "json_import_is_all_or_nothing_and_names_bad_rows-garbage",
        garbage
    );
}

#[tokio::test]
async fn csv_import_and_export_round_trip() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let space = topic(&server, &tokens.admin, "Space", None).await;
    let csv = "topic,prompt,choice1,choice2,choice3,correct,explanation,difficulty,tags\n\
               space,\"Which planet is closest to the Sun?\",Venus,Mercury,Earth,2,\"Mercury orbits at about 0.39 AU.\",1,planets;orbits\n";
    let wrong = csv.replace(",2,\"Mercury", ",7,\"Mercury");
    let bad = server
        .gql_as(&tokens.admin, IMPORT, json!({ "f": "CSV", "d": wrong }))
        .await;
    assert_eq!(
        bad["data"]["importQuestions"]["rows"][0]["field"],
        "rows[0].correct"
    );
    let good = server
        .gql_as(&tokens.admin, IMPORT, json!({ "f": "CSV", "d": csv }))
        .await;
    assert_eq!(good["data"]["importQuestions"]["committed"], true, "{good}");

    let export = "query($f: TransferFormat!) { exportQuestions(format: $f) }";
    let as_csv = server
        .gql_as(&tokens.moderator, export, json!({ "f": "CSV" }))
        .await;
    let text = as_csv["data"]["exportQuestions"].as_str().expect("csv");
    assert!(text.starts_with("topic,prompt,choice1"));
    assert!(
        text.contains("space,Which planet is closest to the Sun?,Venus,Mercury,Earth,,,,2,"),
        "{text}"
    );
    assert!(
        text.contains("orbits;planets"),
        "tags sorted by slug: {text}"
    );
    // The exported JSON imports again as it is.
    let as_json = server
        .gql_as(&tokens.moderator, export, json!({ "f": "JSON" }))
        .await;
    let exported = as_json["data"]["exportQuestions"]
        .as_str()
        .expect("json")
        .to_owned();
    let mut rows: Value = serde_json::from_str(&exported).expect("rows");
    rows[0]["prompt"] = json!("Which planet is the closest to the Sun?");
    let again = server
        .gql_as(
            &tokens.moderator,
            IMPORT,
            json!({ "f": "JSON", "d": rows.to_string() }),
        )
        .await;
    assert_eq!(
        again["data"]["importQuestions"]["committed"], true,
        "{again}"
    );
    let _ = space;

    for token in [&tokens.learner, &tokens.contributor] {
        assert_code!(
            server.gql_as(token, export, json!({ "f": "CSV" })).await,
            "FORBIDDEN"
        );
        assert_code!(
            server
                .gql_as(token, IMPORT, json!({ "f": "CSV", "d": csv }))
                .await,
            "FORBIDDEN"
        );
    }
    assert_code!(
        server.gql(export, json!({ "f": "CSV" })).await,
        "UNAUTHENTICATED"
    );
}

#[test]
fn the_import_command_checks_then_writes_a_file() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}/agora.db?mode=rwc", dir.path().display());
    let agora = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_agora"))
            .args(args)
            .env("DATABASE_URL", &url)
            .env("AGORA_LOG_FORMAT", "json")
            .env("RUST_LOG", "warn")
            .output()
            .expect("agora runs")
    };
    assert!(agora(&["seed"]).status.success());
    let file = dir.path().join("planets.json");
    std::fs::write(&file, rows_json("science/physics").to_string()).expect("write");
    let path = file.to_str().expect("path");
    let dry = agora(&["import-questions", path, "--dry-run"]);
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stdout)
    );
    assert!(
        String::from_utf8_lossy(&dry.stdout).contains("2 valid, 0 invalid row(s); nothing written")
    );
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, json!([{ "topic": "science/physics", "prompt": "Too short", "choices": [], "explanation": "x", "difficulty": 1 }]).to_string())
        .expect("write");
    let refused = agora(&["import-questions", bad.to_str().expect("path")]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stdout).contains("row 0: rows[0].prompt"));
    let done = agora(&["import-questions", path]);
    assert!(done.status.success());
    assert!(String::from_utf8_lossy(&done.stdout).contains("imported"));
}

#[tokio::test]
async fn a_topic_page_lists_its_questions_in_one_request() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let parent = topic(&server, &tokens.moderator, "Geography", None).await;
    let child = topic(
        &server,
        &tokens.moderator,
        "Capitals",
        parent["id"].as_str(),
    )
    .await;
    let (parent_id, child_id) = (
        parent["id"].as_str().expect("id"),
        child["id"].as_str().expect("id"),
    );
    let mut made = Vec::new();
    for i in 0..3 {
        let q = question(
            &server,
            &tokens.moderator,
            parent_id,
            &format!("Geography question {i} about France?"),
        )
        .await;
        made.push(q["id"].clone());
    }
    let below = question(
        &server,
        &tokens.moderator,
        child_id,
        "Which city is the capital of France?",
    )
    .await;
    let page = "query($id: ID!, $after: String, $sub: Boolean) { topic(id: $id) { name questions(first: 2, after: $after, includeSubtopics: $sub) { edges { node { id topic { id } } } pageInfo { hasNextPage endCursor } } } }";
    let ids = |body: &Value| -> Vec<Value> {
        body["data"]["topic"]["questions"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| e["node"]["id"].clone())
            .collect()
    };
    let first = server.gql(page, json!({ "id": parent_id })).await;
    assert_no_errors(&first);
    assert_eq!(first["data"]["topic"]["name"], "Geography");
    assert_eq!(
        ids(&first),
        [made[2].clone(), made[1].clone()],
        "newest first"
    );
    assert_eq!(
        first["data"]["topic"]["questions"]["pageInfo"]["hasNextPage"],
        true
    );
    let after = &first["data"]["topic"]["questions"]["pageInfo"]["endCursor"];
    let second = server
        .gql(page, json!({ "id": parent_id, "after": after }))
        .await;
    assert_eq!(
        ids(&second),
        [made[0].clone()],
        "the subtopic's question is not listed"
    );
    assert_eq!(
        second["data"]["topic"]["questions"]["pageInfo"]["hasNextPage"],
        false
    );
    // With its subtopics: the child's question (the newest) comes first.
    let all = server
        .gql(page, json!({ "id": parent_id, "sub": true }))
        .await;
    assert_eq!(ids(&all), [below["id"].clone(), made[2].clone()]);
    assert_eq!(
        all["data"]["topic"]["questions"]["edges"][0]["node"]["topic"]["id"],
        child_id
    );
    // Bad page arguments are the usual BAD_USER_INPUT.
    let too_many = server
        .gql(
            "query($id: ID!) { topic(id: $id) { questions(first: 101) { edges { cursor } } } }",
            json!({ "id": parent_id }),
        )
        .await;
    assert_code!(too_many, "BAD_USER_INPUT");
    server.shutdown().await;
}
