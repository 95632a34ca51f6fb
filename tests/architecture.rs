//! The layer rule of ARCHITECTURE.md, checked over the `use` lines of
//! `src/**/*.rs`: every `crate::X` (and, in `main.rs`, `ltc::X`) reference
//! between top-level modules must point down a layer or stay within one, and
//! no two top-level modules may import each other, except the pairs in
//! [`ALLOWED`], each with its reason (repeated in ARCHITECTURE.md).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::Path,
};

/// Infrastructure: knows no aggregate and no edge.
const INFRASTRUCTURE: &[&str] = &[
    "error",
    "money",
    "input",
    "db",
    "auth",
    "secrets",
    "metrics",
    "telemetry",
    "outbox",
    "events",
    "graphql",
    "connectors",
];

/// Edges: the top, which nothing below imports.
const EDGES: &[&str] = &[
    "schema", "http", "webhooks", "startup", "config", "main", "seed",
];

/// Imports allowed although they break the rule, as (importer, imported,
/// reason). Keep this list short; every entry is explained in ARCHITECTURE.md.
/// A pair that imports each other is accepted when either direction is listed.
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "webhooks",
        "http",
        "inbound webhooks are routes of the HTTP edge: http mounts them, they read its AppState",
    ),
    (
        "accounts",
        "contacts",
        "Account.contacts in GraphQL; a contact is seen through its account (accounts::repo)",
    ),
    (
        "accounts",
        "opportunities",
        "Account.opportunities in GraphQL; a deal is seen through its account (accounts::repo)",
    ),
    (
        "leads",
        "opportunities",
        "conversion creates the deal (opportunities::service); Lead and Opportunity show each other in GraphQL",
    ),
    (
        "opportunities",
        "quotes",
        "Opportunity.quotes in GraphQL; a quote follows its deal and sets its amount (opportunities::service::save)",
    ),
    (
        "contracts",
        "receivables",
        "signing raises the receivables (receivables::rules), Contract.receivables; Receivable reads the milestone trigger type",
    ),
    (
        "purchase_orders",
        "receivables",
        "delivery and acceptance raise receivables (receivables::rules); a receivable is seen through its contract's POs (purchase_orders::repo)",
    ),
];

/// 0 for infrastructure, 1 for an aggregate (anything not listed), 2 for an edge.
fn layer(module: &str) -> u8 {
    if INFRASTRUCTURE.contains(&module) {
        0
    } else if EDGES.contains(&module) {
        2
    } else {
        1
    }
}

/// The source without comments and string literals, so that a path named in
/// a doc comment or a message is not taken for an import.
fn code_only(source: &str) -> String {
    let bytes = source.as_bytes();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &source[i..];
        if rest.starts_with("//") {
            i += rest.find('\n').unwrap_or(rest.len());
        } else if rest.starts_with("/*") {
            i += rest.find("*/").map_or(rest.len(), |end| end + 2);
        } else if rest.starts_with("r#\"") || rest.starts_with("r\"") {
            let hashes = rest[1..].chars().take_while(|c| *c == '#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            let body = 2 + hashes;
            i += rest[body..]
                .find(&close)
                .map_or(rest.len(), |end| body + end + close.len());
            out.push_str("\"\"");
        } else if rest.starts_with('"') {
            let mut j = 1;
            while j < rest.len() {
                match rest.as_bytes()[j] {
                    b'\\' => j += 2,
                    b'"' => break,
                    _ => j += 1,
                }
            }
            i += j + 1;
            out.push_str("\"\"");
        } else if rest.starts_with("'\"'") {
            i += 3;
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

fn ident(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The first path segment of every item of a `{...}` group starting at `text`.
fn group_heads(text: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expect_item = true;
    for (i, c) in text.char_indices() {
        match c {
            '{' => {
                depth += 1;
                expect_item = depth == 1;
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => expect_item = true,
            c if expect_item && depth == 1 && (c.is_ascii_alphabetic() || c == '_') => {
                heads.push(ident(&text[i..]).to_owned());
                expect_item = false;
            }
            _ => {}
        }
    }
    heads
}

/// Top-level modules that `code` names through `prefix` (`crate::`).
fn referenced(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices(prefix) {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let rest = code[at + prefix.len()..].trim_start();
        if rest.starts_with('{') {
            found.extend(group_heads(rest));
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                found.insert(name.to_owned());
            }
        }
    }
    found
}

fn rust_files(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

/// importer -> imported -> the files that import it.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut modules: BTreeSet<String> = BTreeSet::new();
    for file in &files {
        let relative = file.strip_prefix(src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        modules.insert(first.to_string_lossy().trim_end_matches(".rs").to_owned());
    }
    let mut graph: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in &files {
        let relative = file.strip_prefix(src).unwrap();
        let first = relative.components().next().unwrap().as_os_str();
        let from = first.to_string_lossy().trim_end_matches(".rs").to_owned();
        let code = code_only(&fs::read_to_string(file).unwrap());
        let mut names = referenced(&code, "crate::");
        if from == "main" {
            names.extend(referenced(&code, "ltc::"));
        }
        for to in names {
            if to != from && modules.contains(&to) {
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_default()
                    .insert(relative.display().to_string());
            }
        }
    }
    graph
}

fn allowed(from: &str, to: &str) -> bool {
    ALLOWED.iter().any(|(a, b, _)| *a == from && *b == to)
}

/// Every import that breaks the rule and is not in [`ALLOWED`].
fn violations(graph: &BTreeMap<String, BTreeMap<String, BTreeSet<String>>>) -> Vec<String> {
    let mut found = Vec::new();
    for (from, targets) in graph {
        for (to, files) in targets {
            if allowed(from, to) {
                continue;
            }
            let files: Vec<_> = files.iter().cloned().collect();
            if layer(from) < layer(to) {
                found.push(format!(
                    "{from} (layer {}) imports {to} (layer {}) in {}",
                    layer(from),
                    layer(to),
                    files.join(", ")
                ));
            } else if graph.get(to).is_some_and(|back| back.contains_key(from))
                && !allowed(to, from)
            {
                found.push(format!(
                    "{from} and {to} import each other: {from} -> {to} in {}",
                    files.join(", ")
                ));
            }
        }
    }
    found
}

#[test]
fn every_import_between_top_level_modules_points_down_or_is_listed() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&module_graph(&src));
    assert!(
        found.is_empty(),
        "imports against ARCHITECTURE.md's layers:\n{}",
        found.join("\n")
    );
}

#[test]
fn every_allowed_import_is_still_needed() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&src);
    for (from, to, _) in ALLOWED {
        assert!(
            graph.get(*from).is_some_and(|t| t.contains_key(*to)),
            "{from} no longer imports {to}: remove it from ALLOWED and ARCHITECTURE.md"
        );
    }
}

#[test]
fn the_reader_sees_grouped_and_plain_crate_paths() {
    let code = code_only(
        "use crate::{a::X, b::{self, Y}, c};\n// crate::commented\nlet s = \"crate::quoted\";\ncrate::d::f();",
    );
    let names: Vec<_> = referenced(&code, "crate::").into_iter().collect();
    assert_eq!(names, ["a", "b", "c", "d"]);
}

#[test]
fn an_upward_import_is_caught() {
    let mut graph: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    graph
        .entry("db".into())
        .or_default()
        .entry("quotes".into())
        .or_default()
        .insert("db/mod.rs".into());
    assert_eq!(violations(&graph).len(), 1);
}
