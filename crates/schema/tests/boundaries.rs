//! The domain boundaries, checked on the sources: a domain crate publishes its GraphQL roots, its
//! CLI settings and its `api` module, nothing else; every other crate names only those; and the domain crates
//! depend on each other exactly as the graph in `docs/architecture.md` says (one way, no cycle).
//!
//! The compiler already refuses a path into another domain's `pub(crate)` module; this test
//! fails when someone makes such a module `pub` again, or adds a dependency the graph does not
//! have.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

const DOMAINS: &[&str] = &[
    "identity",
    "knowledge",
    "learning",
    "literacy",
    "community",
    "battle",
    "gamification",
    "notifications",
    "sensors",
    "dashboard",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n == "target" || n == "node_modules")
            {
                continue;
            }
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Source with `//` comments removed, so doc prose naming a path is not an import.
fn code(path: &Path) -> String {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a domain's crate root makes public: `pub mod` names and `pub use`/`pub fn` items.
fn published(domain: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let lib = root().join(format!("crates/resolvers/{domain}/src/lib.rs"));
    let source = code(&lib);
    let mut modules = BTreeSet::new();
    let mut items = BTreeSet::new();
    for line in source.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("pub mod ") {
            modules.insert(rest.trim_end_matches(';').trim().to_owned());
        } else if let Some(rest) = line.strip_prefix("pub use ") {
            let name = rest
                .trim_end_matches(';')
                .rsplit("::")
                .next()
                .unwrap_or(rest);
            items.insert(name.trim().to_owned());
        } else if let Some(rest) = line
            .strip_prefix("pub fn ")
            .or_else(|| line.strip_prefix("pub async fn "))
        {
            items.insert(rest.split('(').next().unwrap_or(rest).trim().to_owned());
        }
    }
    (modules, items)
}

/// The first path segments named after `agora_<domain>::` in `source`, a `{..}` group expanded
/// to each of its top-level entries.
fn segments_after(source: &str, krate: &str) -> Vec<String> {
    let needle = format!("{krate}::");
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find(&needle) {
        let before = rest[..at].chars().last();
        rest = &rest[at + needle.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut entry = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 || (depth == 1 && c == ',') {
                    found.push(first_segment(&entry));
                    entry.clear();
                    if depth == 0 {
                        break;
                    }
                } else {
                    entry.push(c);
                }
            }
        } else {
            found.push(first_segment(rest));
        }
    }
    found.retain(|s| !s.is_empty());
    found
}

fn first_segment(path: &str) -> String {
    path.trim()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

#[test]
fn a_domain_publishes_only_its_roots_and_its_api() {
    let mut leaks = Vec::new();
    for domain in DOMAINS {
        let (modules, items) = published(domain);
        assert!(modules.contains("api"), "{domain} has no `pub mod api`");
        for module in modules.iter().filter(|m| *m != "api") {
            leaks.push(format!(
                "crates/resolvers/{domain}/src/lib.rs: `pub mod {module}`"
            ));
        }
        for item in &items {
            let root = ["Query", "Mutation", "Subscription", "Settings"]
                .iter()
                .any(|suffix| item.ends_with(suffix));
            if !root {
                leaks.push(format!(
                    "crates/resolvers/{domain}/src/lib.rs: publishes `{item}`"
                ));
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "only `api`, the GraphQL roots and the domain's settings may be public; make these \
         `pub(crate)` and put what other crates need in `api.rs`:\n{}",
        leaks.join("\n")
    );
}

#[test]
fn other_crates_name_only_a_domains_roots_and_api() {
    let mut files = Vec::new();
    for dir in ["crates", "tests", "migration"] {
        rust_files(&root().join(dir), &mut files);
    }
    let mut offences = Vec::new();
    for domain in DOMAINS {
        let (_, items) = published(domain);
        let krate = format!("agora_{domain}");
        let own = root().join(format!("crates/resolvers/{domain}"));
        let this = root().join("crates/schema/tests/boundaries.rs");
        for file in files.iter().filter(|f| !f.starts_with(&own) && **f != this) {
            for segment in segments_after(&code(file), &krate) {
                if segment != "api" && !items.contains(&segment) {
                    let shown = file.strip_prefix(root()).unwrap_or(file).display();
                    offences.push(format!("{shown}: {krate}::{segment}"));
                }
            }
        }
    }
    offences.sort();
    offences.dedup();
    assert!(
        offences.is_empty(),
        "these reach past a domain's `api`:\n{}",
        offences.join("\n")
    );
}

/// The `a --> b` edges of the domain graph in docs/architecture.md.
fn documented_graph() -> BTreeMap<String, BTreeSet<String>> {
    let doc = fs::read_to_string(root().join("docs/architecture.md"))
        .expect("docs/architecture.md holds the domain graph");
    let start = doc
        .find("<!-- domain graph")
        .expect("docs/architecture.md marks its domain graph with `<!-- domain graph`");
    let block = &doc[start..];
    let block = &block[..block.find("```\n").map_or(block.len(), |end| end)];
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for domain in DOMAINS {
        graph.entry((*domain).to_owned()).or_default();
    }
    for line in block.lines() {
        let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase());
        if let Some((from, to)) = line.trim().split_once(" --> ")
            && word(from)
            && word(to)
        {
            graph
                .entry(from.to_owned())
                .or_default()
                .insert(to.to_owned());
        }
    }
    graph
}

/// Which domain crates each domain's `[dependencies]` names.
fn manifest_graph() -> BTreeMap<String, BTreeSet<String>> {
    DOMAINS
        .iter()
        .map(|domain| {
            let manifest =
                fs::read_to_string(root().join(format!("crates/resolvers/{domain}/Cargo.toml")))
                    .expect("domain manifest");
            let deps = manifest
                .split("\n[")
                .find(|section| section.starts_with("dependencies]"))
                .unwrap_or_default();
            let uses = DOMAINS
                .iter()
                .filter(|other| {
                    deps.lines()
                        .any(|l| l.trim_start().starts_with(&format!("agora-{other}")))
                })
                .map(|other| (*other).to_owned())
                .collect();
            ((*domain).to_owned(), uses)
        })
        .collect()
}

#[test]
fn domains_depend_on_each_other_as_documented_and_one_way() {
    let documented = documented_graph();
    let actual = manifest_graph();
    assert_eq!(
        actual, documented,
        "the domain crates' [dependencies] differ from the graph in docs/architecture.md"
    );
    // One way: a depth-first walk never comes back to a crate on its own path.
    fn walk(
        graph: &BTreeMap<String, BTreeSet<String>>,
        node: &str,
        path: &mut Vec<String>,
    ) -> Result<(), String> {
        if path.iter().any(|p| p == node) {
            return Err(format!("{} -> {node}", path.join(" -> ")));
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            walk(graph, next, path)?;
        }
        path.pop();
        Ok(())
    }
    for domain in DOMAINS {
        walk(&actual, domain, &mut Vec::new()).unwrap_or_else(|cycle| panic!("cycle: {cycle}"));
    }
}

#[test]
fn the_scanner_sees_grouped_and_nested_paths() {
    let source = "use agora_knowledge::{api::{topic, Topic}, service::questions, KnowledgeQuery};\n\
                  let x = agora_knowledge::types::TOPIC_TYPE; my_agora_knowledge::service::x();";
    assert_eq!(
        segments_after(source, "agora_knowledge"),
        ["api", "service", "KnowledgeQuery", "types"]
    );
}
