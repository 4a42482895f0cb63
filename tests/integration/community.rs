//! The contributor workflow end to end: submission quality gate and near-duplicates, the review
//! queue, the voting rules, revisions, publishing into the bank through the outbox, reputation
//! and who may see and do what.

use serde_json::{Value, json};

use super::common::{
    TestServer, assert_body_snapshot, assert_code, assert_no_errors,
    knowledge::{question, topic},
};

const SUBMIT: &str = "mutation($i: SubmitQuestionInput!) { submitQuestion(input: $i) { id status revision approvals choices { text isCorrect } tags author { id } } }";
const REVISE: &str = "mutation($id: ID!, $i: SubmitQuestionInput!) { reviseSubmission(id: $id, input: $i) { id status revision approvals } }";
const REVIEW: &str = "mutation($id: ID!, $v: Verdict!, $c: String) { reviewSubmission(id: $id, verdict: $v, comment: $c) { id status revision approvals decidedAt question { id source status author { id reputation } } reviews { verdict comment revision byModerator reviewer { id } } } }";
const QUEUE: &str = "query($first: Int, $after: String) { reviewQueue(first: $first, after: $after) { edges { cursor node { id prompt } } pageInfo { hasNextPage endCursor } } }";
const ME: &str = "{ me { id reputation } }";
const HISTORY: &str = "query($u: ID) { reputationHistory(userId: $u, first: 50) { edges { node { delta balance reason submissionId } } } }";

fn submission_input(topic_id: &str, prompt: &str) -> Value {
    json!({
        "topicId": topic_id,
        "prompt": prompt,
        "choices": [
            { "text": "Mercury", "isCorrect": true },
            { "text": "Venus", "isCorrect": false },
            { "text": "Mars", "isCorrect": false }
        ],
        "explanation": "Mercury orbits the Sun at about 58 million km, closer than any other planet.",
        "difficulty": 1,
        "tags": ["Planets", "solar system"]
    })
}

/// A prompt no other generated prompt is a near-duplicate of.
fn unique_prompt(label: &str) -> String {
    format!(
        "Riddle {label}: which answer goes with code {}?",
        uuid::Uuid::new_v4().simple()
    )
}

async fn submit(server: &TestServer, token: &str, topic_id: &str, prompt: &str) -> Value {
    let body = server
        .gql_as(
            token,
            SUBMIT,
            json!({ "i": submission_input(topic_id, prompt) }),
        )
        .await;
    assert_no_errors(&body);
    body["data"]["submitQuestion"].clone()
}

async fn review(
    server: &TestServer,
    token: &str,
    id: &Value,
    verdict: &str,
    comment: Option<&str>,
) -> Value {
    server
        .gql_as(
            token,
            REVIEW,
            json!({ "id": id, "v": verdict, "c": comment }),
        )
        .await
}

async fn reviewed(
    server: &TestServer,
    token: &str,
    id: &Value,
    verdict: &str,
    comment: Option<&str>,
) -> Value {
    let body = review(server, token, id, verdict, comment).await;
    assert_no_errors(&body);
    body["data"]["reviewSubmission"].clone()
}

async fn reputation(server: &TestServer, token: &str) -> i64 {
    let body = server.gql_as(token, ME, json!({})).await;
    assert_no_errors(&body);
    body["data"]["me"]["reputation"]
        .as_i64()
        .expect("reputation")
}

async fn queue_ids(server: &TestServer, token: &str) -> Vec<String> {
    let body = server.gql_as(token, QUEUE, json!({ "first": 100 })).await;
    assert_no_errors(&body);
    body["data"]["reviewQueue"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["id"].as_str().expect("id").to_owned())
        .collect()
}

/// A signed-in user with `role` (set by the admin); returns (token, user id).
async fn user_with_role(
    server: &TestServer,
    admin: &str,
    email: &str,
    role: &str,
) -> (String, String) {
    let payload = server
        .register(email, "a long enough passphrase", email)
        .await;
    let id = payload["user"]["id"].as_str().expect("id").to_owned();
    if role != "LEARNER" {
        server.set_role(admin, &id, role).await;
    }
    let login = server.login(email, "a long enough passphrase").await;
    assert_no_errors(&login);
    (
        login["data"]["login"]["accessToken"]
            .as_str()
            .expect("token")
            .to_owned(),
        id,
    )
}

#[tokio::test]
async fn two_approvals_publish_into_the_bank_and_pay_reputation() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let (second_reviewer, _) = user_with_role(
        &server,
        &tokens.admin,
        "reviewer2@example.org",
        "CONTRIBUTOR",
    )
    .await;
    let astronomy = topic(&server, &tokens.moderator, "Astronomy", None).await;
    let topic_id = astronomy["id"].as_str().expect("id");

    // Anyone signed in may submit; anonymous may not.
    let prompt = "Which planet is closest to the Sun?";
    assert_code!(
        server
            .gql(SUBMIT, json!({ "i": submission_input(topic_id, prompt) }))
            .await,
        "UNAUTHENTICATED"
    );
    let submission = submit(&server, &tokens.learner, topic_id, prompt).await;
    assert_eq!(submission["status"], "PENDING");
    assert_eq!(submission["revision"], 1);
    assert_eq!(submission["tags"], json!(["planets", "solar-system"]));
    assert_eq!(
        submission["choices"][0]["isCorrect"], true,
        "the author sees the key"
    );
    let id = submission["id"].clone();

    // A learner without reputation is no reviewer; contributors are, and never of their own.
    assert_code!(
        server.gql_as(&tokens.learner, QUEUE, json!({})).await,
        "FORBIDDEN"
    );
    let own = submit(
        &server,
        &tokens.contributor,
        topic_id,
        "Which planet has the largest number of known moons?",
    )
    .await;
    let queue = queue_ids(&server, &tokens.contributor).await;
    assert!(queue.contains(&id.as_str().expect("id").to_owned()));
    assert!(!queue.contains(&own["id"].as_str().expect("id").to_owned()));
    assert_code!(
        review(&server, &tokens.contributor, &own["id"], "APPROVE", None).await,
        "FORBIDDEN",
        "reviewing your own submission"
    );

    // One approval is not enough; the same reviewer cannot vote twice on a revision.
    let after_one = reviewed(&server, &tokens.contributor, &id, "APPROVE", None).await;
    assert_eq!(after_one["status"], "PENDING");
    assert_eq!(after_one["approvals"], 1);
    assert_code!(
        review(&server, &tokens.contributor, &id, "APPROVE", None).await,
        "CONFLICT"
    );
    assert!(
        !queue_ids(&server, &tokens.contributor)
            .await
            .contains(&id.as_str().expect("id").to_owned()),
        "a voted revision leaves the voter's queue"
    );

    // The second approval publishes: a CONTRIBUTED question, live in the bank.
    let published = reviewed(&server, &second_reviewer, &id, "APPROVE", Some("Nice one")).await;
    assert_eq!(published["status"], "APPROVED");
    assert!(published["decidedAt"].is_string());
    let question = &published["question"];
    assert_eq!(question["source"], "CONTRIBUTED");
    assert_eq!(question["status"], "PUBLISHED");
    assert_eq!(question["author"]["reputation"], 10);
    let bank = server
        .gql(
            "query($t: ID!) { questions(first: 10, filter: { topicId: $t }) { edges { node { id prompt } } } }",
            json!({ "t": topic_id }),
        )
        .await;
    assert_no_errors(&bank);
    let prompts: Vec<&str> = bank["data"]["questions"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["prompt"].as_str().expect("prompt"))
        .collect();
    assert_eq!(
        prompts,
        [prompt],
        "anonymous readers see the published question"
    );

    // QUESTION_PUBLISHED went through the outbox in the same transaction.
    {
        use agora_entities::platform::outbox_event;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let question_uuid = agora_platform::ids::decode(
            &async_graphql::ID(question["id"].as_str().expect("id").to_owned()),
            "Question",
            "id",
        )
        .expect("question id");
        let events = outbox_event::Entity::find()
            .filter(outbox_event::Column::EventType.eq("QUESTION_PUBLISHED"))
            .filter(outbox_event::Column::AggregateId.eq(question_uuid.to_string()))
            .all(&server.state.platform.db)
            .await
            .expect("outbox");
        assert_eq!(events.len(), 1);
    }

    // Reputation: +10 to the author, +1 to each agreeing reviewer, every change explained.
    assert_eq!(reputation(&server, &tokens.learner).await, 10);
    assert_eq!(reputation(&server, &tokens.contributor).await, 1);
    assert_eq!(reputation(&server, &second_reviewer).await, 1);
    let history = server.gql_as(&tokens.learner, HISTORY, json!({})).await;
    assert_no_errors(&history);
    assert_eq!(
        history["data"]["reputationHistory"]["edges"][0]["node"],
        json!({ "delta": 10, "balance": 10, "reason": "SUBMISSION_PUBLISHED", "submissionId": id })
    );

    // A decided submission takes no more votes.
    assert_code!(
        review(&server, &tokens.moderator, &id, "REJECT", Some("late")).await,
        "CONFLICT"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn moderators_decide_alone_and_requested_changes_go_back_to_the_author() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let t = topic(&server, &tokens.moderator, "Riddles", None).await;
    let topic_id = t["id"].as_str().expect("id");

    // A moderator's approval publishes alone.
    let first = submit(&server, &tokens.learner, topic_id, &unique_prompt("a")).await;
    let approved = reviewed(&server, &tokens.moderator, &first["id"], "APPROVE", None).await;
    assert_eq!(approved["status"], "APPROVED");
    assert_eq!(approved["reviews"][0]["byModerator"], true);
    assert_eq!(reputation(&server, &tokens.learner).await, 10);

    // A contributor's approval then a moderator's rejection: the rejection is final, the
    // author loses 2, the moderator (who agreed with the outcome) gains 1, the contributor not.
    let second = submit(&server, &tokens.learner, topic_id, &unique_prompt("b")).await;
    reviewed(&server, &tokens.contributor, &second["id"], "APPROVE", None).await;
    let missing_comment = review(&server, &tokens.moderator, &second["id"], "REJECT", None).await;
    assert_code!(missing_comment, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "moderators_decide_alone_and_requested_changes_go_back_to_the_author-missing_comment",
        missing_comment
    );
    let rejected = reviewed(
        &server,
        &tokens.moderator,
        &second["id"],
        "REJECT",
        Some("The answer key is wrong."),
    )
    .await;
    assert_eq!(rejected["status"], "REJECTED");
    assert!(rejected["question"].is_null());
    assert_eq!(reputation(&server, &tokens.learner).await, 8);
    assert_eq!(reputation(&server, &tokens.moderator).await, 2);
    assert_eq!(reputation(&server, &tokens.contributor).await, 0);
    let history = server.gql_as(&tokens.learner, HISTORY, json!({})).await;
    assert_eq!(
        history["data"]["reputationHistory"]["edges"][0]["node"]["reason"],
        "SUBMISSION_REJECTED"
    );
    assert_eq!(
        history["data"]["reputationHistory"]["edges"][0]["node"]["delta"],
        -2
    );

    // REQUEST_CHANGES returns it; only its author may revise, only while returned.
    let third = submit(&server, &tokens.learner, topic_id, &unique_prompt("c")).await;
    let third_id = third["id"].clone();
    assert_code!(
        server
            .gql_as(
                &tokens.learner,
                REVISE,
                json!({ "id": third_id, "i": submission_input(topic_id, &unique_prompt("c2")) })
            )
            .await,
        "CONFLICT",
        "a pending submission is not revised"
    );
    let returned = reviewed(
        &server,
        &tokens.contributor,
        &third_id,
        "REQUEST_CHANGES",
        Some("Give a source in the explanation."),
    )
    .await;
    assert_eq!(returned["status"], "CHANGES_REQUESTED");
    assert!(
        !queue_ids(&server, &tokens.moderator)
            .await
            .contains(&third_id.as_str().expect("id").to_owned())
    );
    assert_code!(
        server
            .gql_as(
                &tokens.contributor,
                REVISE,
                json!({ "id": third_id, "i": submission_input(topic_id, &unique_prompt("c3")) })
            )
            .await,
        "FORBIDDEN"
    );
    let revised = server
        .gql_as(
            &tokens.learner,
            REVISE,
            json!({ "id": third_id, "i": submission_input(topic_id, &unique_prompt("c4")) }),
        )
        .await;
    assert_no_errors(&revised);
    assert_eq!(
        revised["data"]["reviseSubmission"],
        json!({ "id": third_id, "status": "PENDING", "revision": 2, "approvals": 0 })
    );
    // The earlier reviewer may vote again on the new revision.
    assert!(
        queue_ids(&server, &tokens.contributor)
            .await
            .contains(&third_id.as_str().expect("id").to_owned())
    );
    let again = reviewed(&server, &tokens.contributor, &third_id, "APPROVE", None).await;
    assert_eq!(again["approvals"], 1);
    assert_eq!(again["reviews"].as_array().expect("reviews").len(), 2);
    assert_eq!(again["reviews"][1]["revision"], 2);

    // mySubmissions lists the author's own, newest first, filterable by status.
    let mine = server
        .gql_as(
            &tokens.learner,
            "{ all: mySubmissions(first: 10) { edges { node { id status } } } rejected: mySubmissions(first: 10, status: REJECTED) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_no_errors(&mine);
    let all: Vec<&Value> = mine["data"]["all"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| &e["node"]["id"])
        .collect();
    assert_eq!(all, [&third_id, &second["id"], &first["id"]]);
    assert_eq!(
        mine["data"]["rejected"]["edges"][0]["node"]["id"],
        second["id"]
    );

    // A submission whose topic was deleted cannot be published until it has a topic again.
    let doomed = topic(&server, &tokens.moderator, "Doomed", None).await;
    let orphan = submit(
        &server,
        &tokens.learner,
        doomed["id"].as_str().expect("id"),
        &unique_prompt("d"),
    )
    .await;
    let deleted = server
        .gql_as(
            &tokens.moderator,
            "mutation($id: ID!) { deleteTopic(id: $id) }",
            json!({ "id": doomed["id"] }),
        )
        .await;
    assert_no_errors(&deleted);
    assert_code!(
        review(&server, &tokens.moderator, &orphan["id"], "APPROVE", None).await,
        "CONFLICT"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_quality_gate_names_the_field_and_the_near_duplicate() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let t = topic(&server, &tokens.moderator, "Geography", None).await;
    let topic_id = t["id"].as_str().expect("id");
    let existing = question(
        &server,
        &tokens.moderator,
        topic_id,
        "What is the capital city of France?",
    )
    .await;

    let cases: Vec<(Value, &str)> = vec![
        (
            json!({ "choices": [{ "text": "Only", "isCorrect": true }] }),
            "input.choices",
        ),
        (
            json!({ "choices": [
                { "text": "A", "isCorrect": true },
                { "text": "B", "isCorrect": true }
            ] }),
            "input.choices",
        ),
        (
            json!({ "choices": [
                { "text": "Mars", "isCorrect": true },
                { "text": " mars ", "isCorrect": false }
            ] }),
            "input.choices[1].text",
        ),
        (json!({ "prompt": "Short?" }), "input.prompt"),
        (json!({ "explanation": "" }), "input.explanation"),
        (json!({ "difficulty": 9 }), "input.difficulty"),
        (json!({ "tags": ["c++"] }), "input.tags[0]"),
        (json!({ "topicId": "not-an-id" }), "input.topicId"),
        (json!({ "topicId": existing["id"] }), "input.topicId"),
    ];
    for (change, field) in cases {
        let mut input = submission_input(topic_id, &unique_prompt("bad"));
        for (key, value) in change.as_object().expect("object") {
            input[key] = value.clone();
        }
        let body = server
            .gql_as(&tokens.learner, SUBMIT, json!({ "i": input }))
            .await;
        assert_code!(body, "BAD_USER_INPUT", "{change}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{change}");
    }

    // A reworded copy of a bank question is refused, and the original is named.
    let body = server
        .gql_as(
            &tokens.learner,
            SUBMIT,
            json!({ "i": submission_input(topic_id, "what is the capital of FRANCE ?") }),
        )
        .await;
    assert_code!(body, "BAD_USER_INPUT");
    let extensions = &body["errors"][0]["extensions"];
    assert_eq!(extensions["field"], "input.prompt");
    assert_eq!(extensions["detail"], "NEAR_DUPLICATE");
    assert_eq!(extensions["relatedId"], existing["id"]);
    let message = body["errors"][0]["message"].as_str().expect("message");
    assert!(
        message.contains("What is the capital city of France?"),
        "{message}"
    );

    // A different question on the same subject passes.
    submit(
        &server,
        &tokens.learner,
        topic_id,
        "What is the capital city of Australia?",
    )
    .await;
    // Nothing refused was stored.
    let mine = server
        .gql_as(
            &tokens.learner,
            "{ mySubmissions(first: 50) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine["data"]["mySubmissions"]["edges"]
            .as_array()
            .expect("edges")
            .len(),
        1
    );
    server.shutdown().await;
}

#[tokio::test]
async fn reputation_earns_review_rights_and_visibility_is_enforced() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let t = topic(&server, &tokens.moderator, "Riddles", None).await;
    let topic_id = t["id"].as_str().expect("id");
    let (other_learner, other_id) =
        user_with_role(&server, &tokens.admin, "other@example.org", "LEARNER").await;

    // Someone else's submission is for its author and reviewers only.
    let waiting = submit(&server, &tokens.learner, topic_id, &unique_prompt("w")).await;
    let read = "query($id: ID!) { submission(id: $id) { id reviews { verdict } } }";
    assert_code!(
        server.gql(read, json!({ "id": waiting["id"] })).await,
        "UNAUTHENTICATED"
    );
    assert_code!(
        server
            .gql_as(&other_learner, read, json!({ "id": waiting["id"] }))
            .await,
        "FORBIDDEN"
    );
    for token in [&tokens.learner, &tokens.contributor, &tokens.moderator] {
        let body = server
            .gql_as(token, read, json!({ "id": waiting["id"] }))
            .await;
        assert_no_errors(&body);
        assert_eq!(body["data"]["submission"]["id"], waiting["id"]);
    }
    let node = server
        .gql_as(
            &tokens.learner,
            "query($id: ID!) { node(id: $id) { __typename id } }",
            json!({ "id": waiting["id"] }),
        )
        .await;
    assert_eq!(node["data"]["node"]["__typename"], "Submission");
    assert_code!(
        server
            .gql_as(
                &other_learner,
                REVIEW,
                json!({ "id": waiting["id"], "v": "APPROVE" })
            )
            .await,
        "FORBIDDEN"
    );

    // Reputation history is your own (moderators may read anyone's).
    assert_code!(
        server
            .gql_as(&tokens.learner, HISTORY, json!({ "u": other_id }))
            .await,
        "FORBIDDEN"
    );
    assert_no_errors(
        &server
            .gql_as(&tokens.moderator, HISTORY, json!({ "u": other_id }))
            .await,
    );

    // Twenty published submissions (+10 each) make a learner a reviewer at 200.
    for n in 0..20 {
        assert_code!(
            server.gql_as(&other_learner, QUEUE, json!({})).await,
            "FORBIDDEN",
            "at {} reputation",
            n * 10
        );
        let s = submit(
            &server,
            &other_learner,
            topic_id,
            &unique_prompt(&format!("r{n}")),
        )
        .await;
        reviewed(&server, &tokens.moderator, &s["id"], "APPROVE", None).await;
    }
    assert_eq!(reputation(&server, &other_learner).await, 200);
    let queue = queue_ids(&server, &other_learner).await;
    assert_eq!(queue, [waiting["id"].as_str().expect("id")]);
    let voted = reviewed(&server, &other_learner, &waiting["id"], "APPROVE", None).await;
    assert_eq!(voted["approvals"], 1);
    assert_eq!(voted["reviews"][0]["byModerator"], false);

    // Reputation is public: anyone reads it on an author.
    let public = server
        .gql(
            "query($t: ID!) { questions(first: 1, filter: { topicId: $t }) { edges { node { author { reputation } } } } }",
            json!({ "t": topic_id }),
        )
        .await;
    assert_no_errors(&public);
    assert_eq!(
        public["data"]["questions"]["edges"][0]["node"]["author"]["reputation"],
        200
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_review_queue_is_oldest_first_and_pages_by_cursor() {
    let server = TestServer::start().await;
    let tokens = server.role_tokens().await;
    let t = topic(&server, &tokens.moderator, "Riddles", None).await;
    let topic_id = t["id"].as_str().expect("id");
    let mut submitted = Vec::new();
    for n in 0..5 {
        let s = submit(
            &server,
            &tokens.learner,
            topic_id,
            &unique_prompt(&format!("q{n}")),
        )
        .await;
        submitted.push(s["id"].as_str().expect("id").to_owned());
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = server
            .gql_as(
                &tokens.contributor,
                QUEUE,
                json!({ "first": 2, "after": after }),
            )
            .await;
        assert_no_errors(&body);
        let connection = &body["data"]["reviewQueue"];
        for edge in connection["edges"].as_array().expect("edges") {
            seen.push(edge["node"]["id"].as_str().expect("id").to_owned());
        }
        if connection["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = connection["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
    }
    assert_eq!(seen, submitted);

    // A page with authors, topics and reviews with their reviewers costs the same statements
    // whatever its size: one per loader batch (the admin reads the queue; the contributor's
    // votes supply reviews).
    for id in &submitted {
        reviewed(&server, &tokens.contributor, &json!(id), "APPROVE", None).await;
    }
    server.wait_for_outbox().await;
    let page = "query($n: Int) { reviewQueue(first: $n) { edges { node { prompt author { displayName } topic { name } reviews { verdict reviewer { displayName } } } } } }";
    let mut costs = Vec::new();
    for size in [1, 5] {
        let mut cheapest = u64::MAX;
        for _ in 0..3 {
            let before = server.state.platform.statements.get();
            let body = server
                .gql_as(&tokens.admin, page, json!({ "n": size }))
                .await;
            assert_no_errors(&body);
            let edges = body["data"]["reviewQueue"]["edges"]
                .as_array()
                .expect("edges");
            assert_eq!(edges.len(), size as usize);
            assert_eq!(edges[0]["node"]["reviews"][0]["verdict"], "APPROVE");
            cheapest = cheapest.min(server.state.platform.statements.get() - before);
        }
        costs.push(cheapest);
    }
    assert_eq!(costs[0], costs[1], "statements per page: {costs:?}");
    let bad = server
        .gql_as(&tokens.contributor, QUEUE, json!({ "first": 500 }))
        .await;
    assert_code!(bad, "BAD_USER_INPUT");
    assert_body_snapshot!(
        "the_review_queue_is_oldest_first_and_pages_by_cursor-bad",
        bad
    );
    server.shutdown().await;
}
