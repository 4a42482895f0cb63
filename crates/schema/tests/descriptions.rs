//! Every type, field, argument, input field and enum value of `schema.graphql` carries a
//! description, so GraphiQL's docs and generated client code explain it.
//!
//! The items that had none when this check came are listed in
//! `fixtures/undocumented.txt`; the list may only shrink. A new item without a description
//! fails, and so does a listed item that has gained one (take it off the list, so the list stays
//! exact). `AGORA_WRITE_UNDOCUMENTED=1 cargo test -p agora-schema --test descriptions` rewrites
//! the list from the schema, for a reviewer to read in the diff.

use std::{collections::BTreeSet, path::PathBuf};

use async_graphql::parser::{
    parse_schema,
    types::{FieldDefinition, InputValueDefinition, TypeKind, TypeSystemDefinition},
};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn blank(description: Option<&async_graphql::Positioned<String>>) -> bool {
    description.is_none_or(|d| d.node.trim().is_empty())
}

fn arguments(owner: &str, field: &FieldDefinition, out: &mut BTreeSet<String>) {
    for arg in &field.arguments {
        if blank(arg.node.description.as_ref()) {
            out.insert(format!(
                "{owner}.{}({})",
                field.name.node, arg.node.name.node
            ));
        }
    }
}

fn input_fields(
    owner: &str,
    fields: &[async_graphql::Positioned<InputValueDefinition>],
    out: &mut BTreeSet<String>,
) {
    for f in fields {
        if blank(f.node.description.as_ref()) {
            out.insert(format!("{owner}.{}", f.node.name.node));
        }
    }
}

/// The schema's items without a description: `Type`, `Type.field`, `Type.field(argument)`,
/// `Input.field`, `Enum.VALUE`.
fn undocumented(sdl: &str) -> BTreeSet<String> {
    let document = parse_schema(sdl).expect("schema.graphql parses");
    let mut out = BTreeSet::new();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let ty = ty.node;
        let name = ty.name.node.to_string();
        if blank(ty.description.as_ref()) {
            out.insert(name.clone());
        }
        match &ty.kind {
            TypeKind::Object(object) => {
                for field in &object.fields {
                    if blank(field.node.description.as_ref()) {
                        out.insert(format!("{name}.{}", field.node.name.node));
                    }
                    arguments(&name, &field.node, &mut out);
                }
            }
            TypeKind::Interface(interface) => {
                for field in &interface.fields {
                    if blank(field.node.description.as_ref()) {
                        out.insert(format!("{name}.{}", field.node.name.node));
                    }
                    arguments(&name, &field.node, &mut out);
                }
            }
            TypeKind::InputObject(input) => input_fields(&name, &input.fields, &mut out),
            TypeKind::Enum(values) => {
                for value in &values.values {
                    if blank(value.node.description.as_ref()) {
                        out.insert(format!("{name}.{}", value.node.value.node));
                    }
                }
            }
            TypeKind::Scalar | TypeKind::Union(_) => {}
        }
    }
    out
}

#[test]
fn every_schema_item_is_described_but_the_listed_ones() {
    let sdl = std::fs::read_to_string(root().join("schema.graphql")).expect("schema.graphql");
    let found = undocumented(&sdl);
    let list = root().join("crates/schema/tests/fixtures/undocumented.txt");
    if std::env::var_os("AGORA_WRITE_UNDOCUMENTED").is_some() {
        let mut text = String::from(
            "# Schema items without a description (crates/schema/tests/descriptions.rs).\n\
             # This list may only shrink: describe an item, then take it off.\n",
        );
        for item in &found {
            text.push_str(item);
            text.push('\n');
        }
        std::fs::write(&list, text).expect("write the list");
    }
    let listed: BTreeSet<String> = std::fs::read_to_string(&list)
        .expect("fixtures/undocumented.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let new: Vec<&String> = found.difference(&listed).collect();
    let described: Vec<&String> = listed.difference(&found).collect();
    assert!(
        new.is_empty(),
        "describe these (a doc comment, or `desc` on an argument): {new:?}"
    );
    assert!(
        described.is_empty(),
        "described now: take them off fixtures/undocumented.txt: {described:?}"
    );
}

#[test]
fn the_check_sees_each_kind_of_item() {
    let sdl = r#"
        """A thing."""
        type Thing { name(style: String): String! "Its id." id: ID! }
        input Filter { text: String }
        """Colours."""
        enum Colour { "Red." RED BLUE }
    "#;
    let found: Vec<String> = undocumented(sdl).into_iter().collect();
    assert_eq!(
        found,
        [
            "Colour.BLUE",
            "Filter",
            "Filter.text",
            "Thing.name",
            "Thing.name(style)"
        ]
    );
}
