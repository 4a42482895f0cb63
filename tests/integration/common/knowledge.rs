//! Knowledge builders: topics and questions created through the API.

use serde_json::{Value, json};

use super::{TestServer, assert_no_errors};

/// Creates a topic (`$i`: `CreateTopicInput`).
pub const CREATE_TOPIC: &str =
    "mutation($i: CreateTopicInput!) { createTopic(input: $i) { id path } }";
/// Creates a question (`$i`: `CreateQuestionInput`).
pub const CREATE_QUESTION: &str = "mutation($i: CreateQuestionInput!) { createQuestion(input: $i) { id status tags { slug } choices { id text isCorrect } } }";

/// Creates a topic (under `parent` if given); returns `{ id path }`.
pub async fn topic(server: &TestServer, token: &str, name: &str, parent: Option<&str>) -> Value {
    let body = server
        .gql_as(
            token,
            CREATE_TOPIC,
            json!({ "i": { "name": name, "parentId": parent } }),
        )
        .await;
    assert_no_errors(&body);
    body["data"]["createTopic"].clone()
}

/// A valid question input: three choices, "Paris" the correct one.
pub fn question_input(topic_id: &str, prompt: &str) -> Value {
    json!({
        "topicId": topic_id,
        "prompt": prompt,
        "choices": [
            { "text": "Paris", "isCorrect": true },
            { "text": "Lyon", "isCorrect": false },
            { "text": "Marseille", "isCorrect": false }
        ],
        "explanation": "Paris has been the capital of France for centuries.",
        "difficulty": 2,
        "tags": ["Capitals", "europe"]
    })
}

/// Creates a published question (answer: Paris); returns `{ id status tags choices }`.
pub async fn question(server: &TestServer, token: &str, topic_id: &str, prompt: &str) -> Value {
    let body = server
        .gql_as(
            token,
            CREATE_QUESTION,
            json!({ "i": question_input(topic_id, prompt) }),
        )
        .await;
    assert_no_errors(&body);
    body["data"]["createQuestion"].clone()
}

/// A "Capitals" topic with `n` questions (answer: Paris), created by a fresh moderator;
/// returns the topic id.
/// A topic with `n` questions on an existing server (answer: Paris).
pub async fn capitals(server: &TestServer, n: usize) -> String {
    let tokens = server.role_tokens().await;
    let t = topic(server, &tokens.moderator, "Capitals", None).await;
    let topic_id = t["id"].as_str().expect("id").to_owned();
    for i in 0..n {
        question(
            server,
            &tokens.moderator,
            &topic_id,
            &format!("Capital quiz number {i}: which city is the capital of France?"),
        )
        .await;
    }
    topic_id
}
