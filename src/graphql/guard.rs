//! Limits a GraphQL document must keep before any expensive work is done on
//! it. Validation and execution expand fragments; a document of 30 fragments
//! that each spread the previous one twice expands to a billion fields. So
//! every bound here is checked in time and memory proportional to the
//! document's text: first a scan of the raw text (size, tokens, nesting),
//! then a walk of the parsed document that counts what fragment expansion
//! *would* produce, each fragment's counts memoised, without expanding it.

use std::collections::HashMap;

use async_graphql::{
    Positioned,
    parser::types::{
        DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection,
        SelectionSet,
    },
};

/// Bounds on one GraphQL document; each is a setting (`LTC_MAX_QUERY_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DocumentLimits {
    /// Bytes of query text.
    pub bytes: usize,
    /// Lexical tokens (names, punctuators, strings, numbers).
    pub tokens: usize,
    /// Brackets, braces and parentheses open at once.
    pub nesting: usize,
    /// Fields after fragment expansion, over all operations.
    pub fields: u64,
    /// Aliased fields after fragment expansion.
    pub aliases: u64,
    /// Fields at the root of one operation, after expansion.
    pub root_fields: u64,
    /// Directives after fragment expansion.
    pub directives: u64,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        DocumentLimits {
            bytes: 64 * 1024,
            tokens: 10_000,
            nesting: 64,
            fields: 2_000,
            aliases: 30,
            root_fields: 20,
            directives: 50,
        }
    }
}

/// Checks the raw text: its size, its tokens and how deep its brackets nest,
/// in one pass, so the parser never sees a document that could exhaust it.
pub fn prescan(query: &str, limits: &DocumentLimits) -> Result<(), String> {
    if query.len() > limits.bytes {
        return Err(format!(
            "the query is {} bytes; at most {} are accepted",
            query.len(),
            limits.bytes
        ));
    }
    let bytes = query.as_bytes();
    let (mut i, mut tokens, mut depth) = (0usize, 0usize, 0usize);
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
                if depth > limits.nesting {
                    return Err(format!(
                        "the query nests more than {} levels of brackets",
                        limits.nesting
                    ));
                }
                i += 1;
            }
            b'}' | b')' | b']' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => i += 3,
            b'!' | b'$' | b'&' | b':' | b'=' | b'@' | b'|' | b'.' => i += 1,
            _ => {
                while i < bytes.len() && is_word_byte(bytes[i]) {
                    i += 1;
                }
                // A byte that starts no token still counts, and moves on.
                if i < bytes.len() && !is_word_byte(b) {
                    i += 1;
                }
            }
        }
        tokens += 1;
        if tokens > limits.tokens {
            return Err(format!("the query has more than {} tokens", limits.tokens));
        }
    }
    Ok(())
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'.') || b >= 0x80
}

/// What a selection set holds once its fragments are expanded.
#[derive(Clone, Copy, Default)]
struct Counts {
    fields: u64,
    aliases: u64,
    directives: u64,
    /// Fields at this selection set's own level (for root fields).
    top_fields: u64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.directives = self.directives.saturating_add(other.directives);
        self.top_fields = self.top_fields.saturating_add(other.top_fields);
    }
}

enum Memo {
    InProgress,
    Done(Counts),
}

struct Counter<'a> {
    doc: &'a ExecutableDocument,
    memo: HashMap<&'a str, Memo>,
}

impl<'a> Counter<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet) -> Result<Counts, String> {
        let mut counts = Counts::default();
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let inner = self.selection_set(&field.selection_set.node)?;
                    counts.add(Counts {
                        fields: 1u64.saturating_add(inner.fields),
                        aliases: u64::from(field.alias.is_some()).saturating_add(inner.aliases),
                        directives: (field.directives.len() as u64)
                            .saturating_add(inner.directives),
                        top_fields: 1,
                    });
                }
                Selection::InlineFragment(fragment) => {
                    let inner = self.selection_set(&fragment.node.selection_set.node)?;
                    counts.add(inner);
                    counts.directives = counts
                        .directives
                        .saturating_add(fragment.node.directives.len() as u64);
                }
                Selection::FragmentSpread(spread) => {
                    let inner = self.fragment(spread.node.fragment_name.node.as_str())?;
                    counts.add(inner);
                    counts.directives = counts
                        .directives
                        .saturating_add(spread.node.directives.len() as u64);
                }
            }
        }
        Ok(counts)
    }

    fn fragment(&mut self, name: &'a str) -> Result<Counts, String> {
        match self.memo.get(name) {
            Some(Memo::Done(counts)) => return Ok(*counts),
            Some(Memo::InProgress) => {
                return Err(format!("fragment {name} spreads itself"));
            }
            None => {}
        }
        // An unknown fragment counts nothing here; validation names it.
        let Some((key, fragment)) = self.doc.fragments.get_key_value(name) else {
            return Ok(Counts::default());
        };
        let key = key.as_str();
        self.memo.insert(key, Memo::InProgress);
        let mut counts = self.selection_set(&fragment.node.selection_set.node)?;
        counts.directives = counts
            .directives
            .saturating_add(fragment.node.directives.len() as u64);
        self.memo.insert(key, Memo::Done(counts));
        Ok(counts)
    }
}

/// Checks what the parsed document would expand to against the limits.
pub fn check(doc: &ExecutableDocument, limits: &DocumentLimits) -> Result<(), String> {
    let mut counter = Counter {
        doc,
        memo: HashMap::new(),
    };
    let mut total = Counts::default();
    for (_, operation) in doc.operations.iter() {
        let operation = &operation.node;
        let counts = counter.selection_set(&operation.selection_set.node)?;
        if counts.top_fields > limits.root_fields {
            return Err(format!(
                "an operation selects {} root fields; at most {} are accepted",
                counts.top_fields, limits.root_fields
            ));
        }
        total.add(counts);
        total.directives = total
            .directives
            .saturating_add(operation.directives.len() as u64);
    }
    // Fragments no operation uses are still validated: count them too.
    for name in doc.fragments.keys() {
        if !counter.memo.contains_key(name.as_str()) {
            total.add(counter.fragment(name.as_str())?);
        }
    }
    let over = |what: &str, n: u64, max: u64| {
        Err(format!(
            "the query has {n} {what} once its fragments are expanded; at most {max} are accepted"
        ))
    };
    if total.fields > limits.fields {
        return over("fields", total.fields, limits.fields);
    }
    if total.aliases > limits.aliases {
        return over("aliases", total.aliases, limits.aliases);
    }
    if total.directives > limits.directives {
        return over("directives", total.directives, limits.directives);
    }
    Ok(())
}

/// The operation that would run: the only one, or the one named.
pub(crate) fn selected<'a>(
    operations: &'a DocumentOperations,
    name: Option<&str>,
) -> Option<&'a Positioned<OperationDefinition>> {
    match (operations, name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        _ => None,
    }
}

/// The kind of the operation that would run and its root fields (fragments
/// at the root expanded, each once).
pub(crate) struct Root<'a> {
    pub(crate) ty: OperationType,
    fields: Vec<&'a str>,
}

impl Root<'_> {
    /// Whether it only asks about the schema itself (`__schema`, `__type`,
    /// `__typename`), which a caller without a token may do.
    pub(crate) fn asks_only_about_the_schema(&self) -> bool {
        self.ty == OperationType::Query
            && self
                .fields
                .iter()
                .all(|n| matches!(*n, "__schema" | "__type" | "__typename"))
    }

    /// Whether it reads the schema (`__schema` or `__type`).
    pub(crate) fn introspects(&self) -> bool {
        self.fields
            .iter()
            .any(|n| matches!(*n, "__schema" | "__type"))
    }
}

/// The root of the operation that would run, or `None` when the document
/// does not say which one runs.
pub(crate) fn root<'a>(
    doc: &'a ExecutableDocument,
    operation_name: Option<&str>,
) -> Option<Root<'a>> {
    let operation = selected(&doc.operations, operation_name)?;
    let mut fields = Vec::new();
    let mut pending = vec![&operation.node.selection_set.node];
    let mut seen = std::collections::HashSet::new();
    while let Some(set) = pending.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => fields.push(field.node.name.node.as_str()),
                Selection::InlineFragment(fragment) => {
                    pending.push(&fragment.node.selection_set.node);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if seen.insert(name)
                        && let Some(fragment) = doc.fragments.get(name)
                    {
                        pending.push(&fragment.node.selection_set.node);
                    }
                }
            }
        }
    }
    Some(Root {
        ty: operation.node.ty,
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doubling(levels: usize) -> String {
        let mut q = format!("query{{...F{levels}}} fragment F0 on Query{{__typename}}");
        for i in 1..=levels {
            q.push_str(&format!(
                " fragment F{i} on Query{{...F{j} ...F{j}}}",
                j = i - 1
            ));
        }
        q
    }

    fn checked(query: &str) -> Result<(), String> {
        let limits = DocumentLimits::default();
        prescan(query, &limits)?;
        let doc = async_graphql::parser::parse_query(query).map_err(|e| e.to_string())?;
        check(&doc, &limits)
    }

    #[test]
    fn fragments_that_double_are_refused_without_expanding_them() {
        let started = std::time::Instant::now();
        for levels in [22, 30, 60] {
            let refused = checked(&doubling(levels)).expect_err("refused");
            assert!(refused.contains("fields"), "{refused}");
        }
        assert!(started.elapsed() < std::time::Duration::from_millis(50));
        assert!(checked(&doubling(4)).is_ok());
    }

    #[test]
    fn aliases_root_fields_and_directives_are_bounded() {
        let aliases: String = (0..31).map(|i| format!("a{i}: __typename ")).collect();
        assert!(checked(&format!("{{{aliases}}}")).is_err());
        let roots: String = (0..21).map(|_| "__typename ").collect();
        assert!(checked(&format!("{{{roots}}}")).is_err());
        let directives: String = (0..51).map(|_| "@skip(if: false) ").collect();
        assert!(checked(&format!("{{__typename {directives}}}")).is_err());
        assert!(checked("{ a: __typename b: __typename }").is_ok());
    }

    #[test]
    fn the_raw_text_is_bounded_before_parsing() {
        let deep = format!("{}{}", "{a".repeat(100), "}".repeat(100));
        assert!(prescan(&deep, &DocumentLimits::default()).is_err());
        let many: String = (0..10_001).map(|_| "a ").collect();
        assert!(prescan(&format!("{{{many}}}"), &DocumentLimits::default()).is_err());
        let big = "#".repeat(70_000);
        assert!(prescan(&big, &DocumentLimits::default()).is_err());
        // Brackets inside strings and comments do not count.
        let quoted = format!("{{ f(a: \"{}\") }} # {}", "{".repeat(200), "[".repeat(200));
        assert!(prescan(&quoted, &DocumentLimits::default()).is_ok());
    }

    #[test]
    fn a_fragment_cycle_is_refused() {
        let cycle = "{...A} fragment A on Query{...B} fragment B on Query{...A}";
        assert!(checked(cycle).is_err());
    }

    #[test]
    fn only_schema_questions_need_no_token() {
        let only = |q: &str| {
            let doc = async_graphql::parser::parse_query(q).expect("parses");
            root(&doc, None)
                .expect("one operation")
                .asks_only_about_the_schema()
        };
        assert!(only("{__typename}"));
        assert!(only(
            "query{...F} fragment F on Query{__schema{queryType{name}}}"
        ));
        assert!(!only("{__typename me{id}}"));
        assert!(!only("mutation{__typename}"));
    }
}
