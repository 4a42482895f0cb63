//! The attack corpus: hostile GraphQL-over-HTTP requests, each with the `extensions.code` that
//! must refuse it. Shared by the integration tests (`tests/integration/attacks.rs`) and the
//! release benchmark (`agora-bench attacks`), so both replay the same requests.

use serde_json::{Value, json};

/// One hostile request body and the code that refuses it.
pub struct Attack {
    pub name: &'static str,
    pub body: Value,
    pub code: &'static str,
}

/// Every HTTP attack, in a stable order.
pub fn http() -> Vec<Attack> {
    let aliases = (0..1_000)
        .map(|i| format!("a{i}: __typename"))
        .collect::<Vec<_>>()
        .join(" ");
    let deep = format!("{}{}", "{ topics ".repeat(1_000), "}".repeat(1_000));
    // Ten spreads on each of eight levels: 10^8 fields if fragments were expanded.
    let mut fan_out = String::from("query { ...F0 }");
    for level in 0..8 {
        let spreads = (0..10)
            .map(|_| format!("...F{} ", level + 1))
            .collect::<String>();
        fan_out.push_str(&format!(" fragment F{level} on Query {{ {spreads} }}"));
    }
    fan_out.push_str(" fragment F8 on Query { topics { name } }");
    let directives = (0..60).map(|_| "@include(if: true)").collect::<String>();
    let logins = (0..100)
        .map(|i| format!("l{i}: login(input: {{ email: \"victim@example.org\", password: \"guess-{i}-guess\" }}) {{ accessToken }}"))
        .collect::<Vec<_>>()
        .join(" ");
    let forecasts = (0..28)
        .map(|i| {
            format!(
                "f{i}: forecast(parameter: PM25, horizonHours: {}) {{ method }}",
                i % 72 + 1
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    let attack = |name, body, code| Attack { name, body, code };
    vec![
        attack(
            "alias bomb",
            json!({ "query": format!("{{ {aliases} }}") }),
            "LIMIT_EXCEEDED",
        ),
        attack(
            "1,000-deep nesting",
            json!({ "query": deep }),
            "LIMIT_EXCEEDED",
        ),
        attack(
            "fragment cycle",
            json!({ "query": "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }" }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        attack(
            "fragment fan-out",
            json!({ "query": fan_out }),
            "LIMIT_EXCEEDED",
        ),
        attack(
            "directive overload",
            json!({ "query": format!("{{ __typename {directives} }}") }),
            "LIMIT_EXCEEDED",
        ),
        attack(
            "first: 99999999",
            json!({ "query": "{ questions(first: 99999999) { edges { node { id prompt } } } }" }),
            "LIMIT_EXCEEDED",
        ),
        attack(
            "1,000-operation batch",
            Value::Array(vec![json!({ "query": "{ __typename }" }); 1_000]),
            "BAD_REQUEST",
        ),
        attack(
            "5,000+ tokens",
            json!({ "query": format!("{{ {} }}", "__typename ".repeat(12_000)) }),
            "LIMIT_EXCEEDED",
        ),
        attack(
            "500 KB string variable",
            json!({
                "query": "query($q: String!) { search(query: $q) { __typename } }",
                "variables": { "q": "x".repeat(500_000) },
            }),
            "BAD_USER_INPUT",
        ),
        attack(
            "200 KB operationName naming no operation",
            json!({ "query": "query Page { __typename }", "operationName": "N".repeat(200_000) }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        attack(
            "28 aliased forecasts on 6 stations",
            json!({ "query": format!("{{ stations(first: 6) {{ edges {{ node {{ {forecasts} }} }} }} }}") }),
            "LIMIT_EXCEEDED",
        ),
        attack(
            "100 aliased logins",
            json!({ "query": format!("mutation {{ {logins} }}") }),
            "LIMIT_EXCEEDED",
        ),
    ]
}
