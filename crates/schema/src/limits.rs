//! The limits measured before a document is validated or executed (the OWASP GraphQL cheat
//! sheet's and graphql-armor's defences): document size and tokens, counted on the raw text
//! before the parser sees it, then depth, aliases, directives and complexity on the parsed
//! document.
//!
//! Complexity is the estimated number of values resolved: every field costs 1 (or its entry in
//! [`FIELD_COSTS`]), and a field with a `first`/`last` argument multiplies the cost of what it
//! selects by that argument; a connection selected without one (a field selecting `edges` or
//! `nodes`) counts as a default page of [`DEFAULT_PAGE_SIZE`]. Other lists count once: their
//! sizes are bounded by the domain (at most 6 choices, 10 tags, 8 sensors...).
//!
//! Fragments are measured once each and counted wherever they are spread, so a fragment
//! fanned out ten ways at each of four levels counts 10,000 times without being walked 10,000
//! times; a fragment cycle is refused here, before validation would have to walk it.

use std::collections::HashMap;

use agora_platform::{AppError, config::Config, pagination::DEFAULT_PAGE_SIZE};
use async_graphql::{
    Name, Positioned, Value as ConstValue, Variables,
    parser::types::{
        ExecutableDocument, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
    },
    value,
};

/// Fields that cost more than one value: searches, computed series and forecasts, bulk
/// transfers.
///
/// A forecast not yet cached reads four weeks of hourly averages and fits four Holt-Winters
/// models (one on the whole history, three backtest origins; ~2 ms each in release, 12 ms in
/// debug): its 250 lets one operation ask for at most 19 under the default complexity limit
/// of 5,000 instead of the 30 its aliases allowed (issue 20).
const FIELD_COSTS: &[(&str, u64)] = &[
    ("search", 10),
    ("series", 10),
    ("forecast", 250),
    ("exportQuestions", 100),
    ("importQuestions", 100),
    ("ingestReadings", 10),
];

/// Deepest field nesting under `__schema` or `__type`. Introspection is measured apart from
/// the depth limit: graphql-js's `getIntrospectionQuery()` nests 14 deep (its `ofType` chain),
/// which GraphiQL, Codegen and IDE plugins send as is. An `ofType` chain is linear; what
/// multiplies is nesting lists, bounded by [`MAX_INTROSPECTION_LISTS`].
pub const MAX_INTROSPECTION_DEPTH: u64 = 20;

/// Most nested introspection lists of types' members (`fields`, `inputFields`, `interfaces`,
/// `possibleTypes`) on one path, less one: graphql-js's `MaxIntrospectionDepthRule` refuses
/// three (`__type { fields { type { fields { type { fields ...`, which grows with the schema at
/// every level), and so does this.
pub const MAX_INTROSPECTION_LISTS: u64 = 2;

/// Introspection fields whose nesting [`MAX_INTROSPECTION_LISTS`] counts.
const INTROSPECTION_LISTS: &[&str] = &["fields", "inputFields", "interfaces", "possibleTypes"];

/// Root fields that sign in, register or reset a password, checked against the client
/// address's `Auth` bucket. Each copy in an operation with several takes a token up front;
/// alone, those in [`AUTH_FIELDS_CHARGED_ON_FAILURE`] take one only when they fail, the others
/// one per attempt.
pub const AUTH_FIELDS: &[&str] = &[
    "login",
    "register",
    "requestPasswordReset",
    "resetPassword",
    "changePassword",
];

/// Auth fields whose success costs nothing: a classroom signing up and in from one school
/// address must not be refused, while guessing (each failure) still runs the bucket dry.
/// `requestPasswordReset` is not among them: it sends mail whatever the outcome.
pub const AUTH_FIELDS_CHARGED_ON_FAILURE: &[&str] =
    &["login", "register", "resetPassword", "changePassword"];

/// The limits in force.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest document in bytes.
    pub max_document_bytes: usize,
    /// Most lexical tokens.
    pub max_tokens: usize,
    /// Deepest bracket nesting the parser is given (selection sets, lists, input objects).
    pub max_nesting: usize,
    /// Deepest field nesting.
    pub max_depth: usize,
    /// Most aliases.
    pub max_aliases: usize,
    /// Most directives.
    pub max_directives: usize,
    /// Highest complexity.
    pub max_complexity: usize,
}

impl Limits {
    /// The limits `config` sets.
    pub fn from_config(config: &Config) -> Self {
        Self {
            max_document_bytes: config.limits.max_document_bytes,
            max_tokens: config.limits.max_tokens,
            max_nesting: config.limits.max_recursion,
            max_depth: config.limits.max_depth,
            max_aliases: config.limits.max_aliases,
            max_directives: config.limits.max_directives,
            max_complexity: config.limits.max_complexity,
        }
    }

    /// Checks the raw text: its size, its tokens and its bracket nesting, without parsing it.
    pub fn check_text(&self, text: &str) -> Result<(), AppError> {
        if text.len() > self.max_document_bytes {
            return Err(over(
                "documentBytes",
                self.max_document_bytes,
                format!(
                    "the document is {} bytes; the limit is {}",
                    text.len(),
                    self.max_document_bytes
                ),
            ));
        }
        let scan = scan(text, self.max_tokens, self.max_nesting);
        if scan.tokens > self.max_tokens {
            return Err(over(
                "tokens",
                self.max_tokens,
                format!("the document has more than {} tokens", self.max_tokens),
            ));
        }
        if scan.nesting > self.max_nesting {
            return Err(over(
                "depth",
                self.max_nesting,
                format!(
                    "the document nests brackets more than {} deep",
                    self.max_nesting
                ),
            ));
        }
        Ok(())
    }

    /// Measures every operation of `doc` (variables resolve `first`/`last`) and checks each
    /// against the limits; returns the measure of `selected`.
    pub fn check_document(
        &self,
        doc: &ExecutableDocument,
        selected: Option<&OperationDefinition>,
        variables: &Variables,
    ) -> Result<Measure, AppError> {
        let mut meter = Meter {
            doc,
            variables,
            fragments: HashMap::new(),
        };
        let mut chosen = Measure::default();
        for (_, operation) in doc.operations.iter() {
            let mut measure = meter.selection_set(&operation.node.selection_set)?;
            measure.directives = measure
                .directives
                .saturating_add(operation.node.directives.len() as u64);
            self.check_measure(&measure)?;
            if selected.is_some_and(|s| std::ptr::eq(s, &operation.node)) {
                chosen = measure;
            }
        }
        Ok(chosen)
    }

    fn check_measure(&self, m: &Measure) -> Result<(), AppError> {
        let checks = [
            ("depth", m.depth, self.max_depth, "fields nest"),
            ("aliases", m.aliases, self.max_aliases, "the operation uses"),
            (
                "directives",
                m.directives,
                self.max_directives,
                "the operation uses",
            ),
            (
                "complexity",
                m.complexity,
                self.max_complexity,
                "the operation's complexity is",
            ),
        ];
        if m.introspection_depth > MAX_INTROSPECTION_DEPTH {
            return Err(over(
                "introspectionDepth",
                MAX_INTROSPECTION_DEPTH as usize,
                format!(
                    "introspection fields nest {} deep; the limit is {MAX_INTROSPECTION_DEPTH}",
                    m.introspection_depth
                ),
            ));
        }
        if m.introspection_lists > MAX_INTROSPECTION_LISTS {
            return Err(over(
                "introspectionLists",
                MAX_INTROSPECTION_LISTS as usize,
                format!(
                    "introspection nests {} lists of fields, inputFields, interfaces or \
                     possibleTypes; the limit is {MAX_INTROSPECTION_LISTS}",
                    m.introspection_lists
                ),
            ));
        }
        for (limit, actual, max, what) in checks {
            if actual > max as u64 {
                let message = match limit {
                    "depth" => format!("{what} {actual} deep; the limit is {max}"),
                    "complexity" => format!("{what} {actual}; the limit is {max}"),
                    _ => format!("{what} {actual} {limit}; the limit is {max}"),
                };
                return Err(over(limit, max, message));
            }
        }
        Ok(())
    }
}

fn over(limit: &'static str, max: usize, message: String) -> AppError {
    AppError::LimitExceeded {
        message,
        limit,
        max,
    }
}

/// What the raw-text scan found; `tokens` stops counting just past the limit.
struct Scan {
    tokens: usize,
    nesting: usize,
}

/// Counts GraphQL tokens (punctuators, names, numbers, strings; whitespace, commas and
/// comments are not tokens) and the deepest bracket nesting, stopping at the limits.
fn scan(text: &str, max_tokens: usize, max_nesting: usize) -> Scan {
    let bytes = text.as_bytes();
    let (mut i, mut tokens, mut depth, mut deepest) = (0, 0, 0usize, 0usize);
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 3;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'{' | b'(' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
                i += 1;
            }
            b'}' | b')' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => i += 3,
            b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' => {
                i += 1;
                while i < bytes.len()
                    && matches!(bytes[i], b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'+' | b'-')
                {
                    i += 1;
                }
            }
            _ => i += 1,
        }
        tokens += 1;
        if tokens > max_tokens || deepest > max_nesting {
            break;
        }
    }
    Scan {
        tokens,
        nesting: deepest,
    }
}

/// An operation's (or fragment's) measure.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Measure {
    /// Deepest field nesting, introspection left out.
    pub depth: u64,
    /// Deepest nesting under `__schema` and `__type`, counting them.
    pub introspection_depth: u64,
    /// Most nested [`INTROSPECTION_LISTS`] fields on one path under `__schema` or `__type`.
    pub introspection_lists: u64,
    /// Most nested fields named like [`INTROSPECTION_LISTS`] on any path (what
    /// `introspection_lists` becomes where `__schema` or `__type` selects this).
    member_lists: u64,
    /// Aliases, fragments counted where spread.
    pub aliases: u64,
    /// Directives, likewise.
    pub directives: u64,
    /// Estimated values resolved.
    pub complexity: u64,
    /// The root fields selected (fragments expanded), in order, with repeats.
    pub root_fields: Vec<String>,
    /// The response key (alias, else name) of each of `root_fields`, in the same order.
    pub root_keys: Vec<String>,
}

struct Meter<'a> {
    doc: &'a ExecutableDocument,
    variables: &'a Variables,
    /// Fragments measured so far; `None` while one is being measured (a cycle if met again).
    fragments: HashMap<Name, Option<Measure>>,
}

impl Meter<'_> {
    fn selection_set(&mut self, set: &Positioned<SelectionSet>) -> Result<Measure, AppError> {
        let mut total = Measure::default();
        for item in &set.node.items {
            let part = match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = field.name.node.as_str();
                    let children = self.selection_set(&field.selection_set)?;
                    let base = FIELD_COSTS
                        .iter()
                        .find(|(n, _)| *n == name)
                        .map_or(1, |(_, cost)| *cost);
                    let multiplier = self.page_size(field, &field.selection_set);
                    let depth = if field.selection_set.node.items.is_empty() {
                        0
                    } else {
                        1 + children.depth
                    };
                    let introspection = matches!(name, "__schema" | "__type");
                    Measure {
                        depth: if introspection { 0 } else { depth },
                        introspection_depth: if introspection {
                            depth
                        } else {
                            children.introspection_depth
                        },
                        introspection_lists: if introspection {
                            children.member_lists
                        } else {
                            children.introspection_lists
                        },
                        member_lists: children
                            .member_lists
                            .saturating_add(u64::from(INTROSPECTION_LISTS.contains(&name))),
                        aliases: children
                            .aliases
                            .saturating_add(u64::from(field.alias.is_some())),
                        directives: children
                            .directives
                            .saturating_add(field.directives.len() as u64),
                        complexity: base
                            .saturating_add(multiplier.saturating_mul(children.complexity)),
                        root_fields: vec![name.to_owned()],
                        root_keys: vec![field.response_key().node.to_string()],
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let mut m = self.fragment(&spread.node.fragment_name.node)?;
                    m.directives = m
                        .directives
                        .saturating_add(spread.node.directives.len() as u64);
                    m
                }
                Selection::InlineFragment(inline) => {
                    let mut m = self.selection_set(&inline.node.selection_set)?;
                    m.directives = m
                        .directives
                        .saturating_add(inline.node.directives.len() as u64);
                    m
                }
            };
            total.depth = total.depth.max(part.depth);
            total.introspection_depth = total.introspection_depth.max(part.introspection_depth);
            total.introspection_lists = total.introspection_lists.max(part.introspection_lists);
            total.member_lists = total.member_lists.max(part.member_lists);
            total.aliases = total.aliases.saturating_add(part.aliases);
            total.directives = total.directives.saturating_add(part.directives);
            total.complexity = total.complexity.saturating_add(part.complexity);
            if total.root_fields.len() < 1_000 {
                total.root_fields.extend(part.root_fields);
                total.root_keys.extend(part.root_keys);
            }
        }
        // Depth counts the fields below this set, not the set itself.
        Ok(total)
    }

    fn fragment(&mut self, name: &Name) -> Result<Measure, AppError> {
        match self.fragments.get(name) {
            Some(Some(measure)) => return Ok(measure.clone()),
            Some(None) => {
                return Err(AppError::Refused(
                    agora_platform::ErrorCode::ValidationFailed,
                    format!("fragment `{name}` spreads itself (a fragment cycle)"),
                ));
            }
            None => {}
        }
        // An unknown fragment is left for validation to report.
        let Some(definition): Option<&Positioned<FragmentDefinition>> =
            self.doc.fragments.get(name)
        else {
            return Ok(Measure::default());
        };
        self.fragments.insert(name.clone(), None);
        let mut measure = self.selection_set(&definition.node.selection_set)?;
        measure.directives = measure
            .directives
            .saturating_add(definition.node.directives.len() as u64);
        self.fragments.insert(name.clone(), Some(measure.clone()));
        Ok(measure)
    }

    /// The page a field asks for: its `first` or `last` argument (a literal or a variable),
    /// the default page for a connection without one, else 1.
    fn page_size(
        &self,
        field: &async_graphql::parser::types::Field,
        selection: &Positioned<SelectionSet>,
    ) -> u64 {
        for arg in ["first", "last"] {
            if let Some(value) = field.get_argument(arg) {
                let value = value
                    .node
                    .clone()
                    .into_const_with(|name| {
                        Ok::<_, std::convert::Infallible>(
                            self.variables.get(&name).cloned().unwrap_or(value!(null)),
                        )
                    })
                    .unwrap_or(ConstValue::Null);
                if let ConstValue::Number(n) = value {
                    return n
                        .as_u64()
                        .unwrap_or(if n.as_i64().is_some() { 0 } else { u64::MAX });
                }
            }
        }
        let is_connection = selection.node.items.iter().any(|item| {
            matches!(&item.node, Selection::Field(f)
                if matches!(f.node.name.node.as_str(), "edges" | "nodes"))
        });
        if is_connection {
            DEFAULT_PAGE_SIZE as u64
        } else {
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn limits() -> Limits {
        Limits {
            max_document_bytes: 100_000,
            max_tokens: 5_000,
            max_nesting: 32,
            max_depth: 12,
            max_aliases: 30,
            max_directives: 50,
            max_complexity: 5_000,
        }
    }

    fn measure(query: &str, variables: serde_json::Value) -> Result<Measure, AppError> {
        let doc = parse_query(query).expect("parses");
        let op = match &doc.operations {
            async_graphql::parser::types::DocumentOperations::Single(op) => &op.node,
            async_graphql::parser::types::DocumentOperations::Multiple(ops) => {
                &ops.values().next().expect("one").node
            }
        };
        let variables = Variables::from_json(variables);
        limits().check_document(&doc, Some(op), &variables)
    }

    fn limit_of(err: AppError) -> &'static str {
        match err {
            AppError::LimitExceeded { limit, .. } => limit,
            other => panic!("expected a limit, got {other:?}"),
        }
    }

    #[test]
    fn tokens_are_counted_like_the_graphql_lexer() {
        let s = scan(
            r#"query Q($a: Int = 1) { f(x: "a, b # c", y: [1.5e3, -2]) { ...F @skip(if: true) } } # done"#,
            1_000,
            100,
        );
        // query Q ( $ a : Int = 1 ) { f ( x : "…" y : [ 1.5e3 -2 ] ) { ... F @ skip ( if : true ) } }
        assert_eq!(s.tokens, 35);
        assert_eq!(s.nesting, 3);
        let block = scan(r#"{ f(x: """a "quoted" \""" b""") }"#, 1_000, 100);
        assert_eq!(block.tokens, 8);
    }

    #[test]
    fn text_over_its_limits_is_refused_before_parsing() {
        let deep = format!("{}{}", "{a".repeat(1_000), "}".repeat(1_000));
        assert_eq!(
            limit_of(limits().check_text(&deep).expect_err("deep")),
            "depth"
        );
        let many = format!("{{ {} }}", "a ".repeat(6_000));
        assert_eq!(
            limit_of(limits().check_text(&many).expect_err("many")),
            "tokens"
        );
        let big = format!("{{ a(x: \"{}\") }}", "x".repeat(200_000));
        assert_eq!(
            limit_of(limits().check_text(&big).expect_err("big")),
            "documentBytes"
        );
        assert!(limits().check_text("{ me { id } }").is_ok());
    }

    #[test]
    fn pages_multiply_what_they_select() {
        let m = measure(
            "{ questions(first: 50) { edges { node { id topic { name } tags } } } }",
            serde_json::json!({}),
        )
        .expect("within limits");
        // questions 1 + 50 × (edges 1 + node 1 + id 1 + topic (1 + name 1) + tags 1)
        assert_eq!(m.complexity, 1 + 50 * 6);
        assert_eq!(m.depth, 4);
        let by_variable = measure(
            "query($n: Int) { questions(first: $n) { edges { node { id } } } }",
            serde_json::json!({ "n": 10 }),
        )
        .expect("within limits");
        assert_eq!(by_variable.complexity, 1 + 10 * 3);
        let by_default = measure(
            "{ questions { edges { node { id } } } }",
            serde_json::json!({}),
        )
        .expect("within limits");
        assert_eq!(by_default.complexity, 1 + 20 * 3);
    }

    #[test]
    fn a_huge_page_is_refused_for_complexity() {
        let err = measure(
            "{ questions(first: 99999999) { edges { node { id } } } }",
            serde_json::json!({}),
        )
        .expect_err("too complex");
        assert_eq!(limit_of(err), "complexity");
    }

    #[test]
    fn aliases_and_directives_are_counted_through_fragments() {
        let aliases = (0..31)
            .map(|i| format!("a{i}: me {{ id }}"))
            .collect::<Vec<_>>();
        let err = measure(
            &format!("{{ {} }}", aliases.join(" ")),
            serde_json::json!({}),
        )
        .expect_err("31 aliases");
        assert_eq!(limit_of(err), "aliases");
        // 8 aliases in a fragment spread 4 times is 32.
        let spread = measure(
            "{ ...F ...F ...F ...F } fragment F on Query { a: me { id } b: me { id } c: me { id } d: me { id } e: me { id } f: me { id } g: me { id } h: me { id } }",
            serde_json::json!({}),
        )
        .expect_err("32 aliases");
        assert_eq!(limit_of(spread), "aliases");
        let directives = (0..51).map(|_| "@skip(if: false)").collect::<String>();
        let err = measure(
            &format!("{{ me {directives} {{ id }} }}"),
            serde_json::json!({}),
        )
        .expect_err("51 directives");
        assert_eq!(limit_of(err), "directives");
    }

    #[test]
    fn fragment_fan_out_is_measured_without_walking_it() {
        let mut query = String::from("{ ...F0 }");
        for level in 0..12 {
            let spreads = (0..10)
                .map(|_| format!("...F{} ", level + 1))
                .collect::<String>();
            query.push_str(&format!(" fragment F{level} on Query {{ {spreads} }}"));
        }
        query.push_str(" fragment F12 on Query { me { id } }");
        let started = std::time::Instant::now();
        let err = measure(&query, serde_json::json!({})).expect_err("10^12 fields");
        assert_eq!(limit_of(err), "complexity");
        assert!(started.elapsed() < std::time::Duration::from_millis(50));
    }

    #[test]
    fn a_fragment_cycle_is_refused() {
        let err = measure(
            "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
            serde_json::json!({}),
        )
        .expect_err("cycle");
        assert!(matches!(
            err,
            AppError::Refused(agora_platform::ErrorCode::ValidationFailed, _)
        ));
    }

    #[test]
    fn the_standard_introspection_query_is_not_held_to_the_depth_limit() {
        let query = include_str!("../tests/fixtures/introspection-query.graphql");
        let m = measure(query, serde_json::json!({})).expect("within the limits");
        assert!(m.introspection_depth > 12, "{m:?}");
        assert_eq!(m.introspection_lists, 1);
        assert_eq!(m.depth, 0);
        // Alone, or beside ordinary fields, which still are.
        let deep = format!(
            "{{ __schema {{ types {{ name }} }} a {{ {} }} }}",
            "b { ".repeat(12) + "c" + &" }".repeat(12)
        );
        assert_eq!(
            limit_of(measure(&deep, serde_json::json!({})).unwrap_err()),
            "depth"
        );
    }

    #[test]
    fn recursive_introspection_is_refused() {
        // Each level lists every field of every type again: refused at the third list.
        let query = "{ __type(name: \"Query\") { fields { type { fields { type { fields { name } } } } } } }";
        assert_eq!(
            limit_of(measure(query, serde_json::json!({})).unwrap_err()),
            "introspectionLists"
        );
        // Through fragments too.
        let query = "{ __schema { types { ...T } } } fragment T on __Type { fields { type { ...U } } } \
                     fragment U on __Type { interfaces { fields { name } } }";
        assert_eq!(
            limit_of(measure(query, serde_json::json!({})).unwrap_err()),
            "introspectionLists"
        );
        let two = "{ __type(name: \"Query\") { fields { type { fields { name } } } } }";
        assert!(measure(two, serde_json::json!({})).is_ok());
        // A user field named like an introspection list is not counted.
        let user = "{ a { fields { fields { fields { name } } } } }";
        assert!(measure(user, serde_json::json!({})).is_ok());
        let chain = format!(
            "{{ __type(name: \"Query\") {{ {} name {} }} }}",
            "ofType { ".repeat(20),
            " }".repeat(20)
        );
        assert_eq!(
            limit_of(measure(&chain, serde_json::json!({})).unwrap_err()),
            "introspectionDepth"
        );
    }

    #[test]
    fn root_fields_are_listed_with_repeats() {
        let m = measure(
            "mutation { a: login(input: {}) { accessToken } b: login(input: {}) { accessToken } ...R } fragment R on Mutation { logout }",
            serde_json::json!({}),
        )
        .expect("within limits");
        assert_eq!(m.root_fields, ["login", "login", "logout"]);
        assert_eq!(m.root_keys, ["a", "b", "logout"]);
    }
}
