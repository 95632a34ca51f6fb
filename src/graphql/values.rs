//! Input values checked against what ltc's scalars accept, for variables and
//! literal arguments alike, before validation and execution: a malformed
//! UUID, Decimal, date or time, a JSON float where exact money is meant, a
//! date outside the years the domain knows, or a control character in a
//! string is a `VALIDATION` error naming the value's path (HTTP 400), never
//! a parser's message from deep inside a resolver, an `INTERNAL`, or a NUL
//! byte reaching the database.
//!
//! The walk visits each operation and each fragment once, with the type it
//! applies to; it never expands a fragment.

use async_graphql::{
    ErrorExtensionValues, Name, Pos, ServerError, Value, Variables,
    parser::types::{BaseType, ExecutableDocument, OperationType, Selection, SelectionSet, Type},
    registry::{MetaType, Registry},
};
use rust_decimal::Decimal;

use crate::money::Written;

/// Years a date or time may fall in: wide enough for any contract, narrow
/// enough that date arithmetic (due dates, terms, aging) cannot overflow.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2999;
/// Why one value was refused, and where.
struct Refusal {
    path: String,
    message: String,
}

/// A type as the registry spells it: `[QuoteLineInput!]!`.
enum Shape<'a> {
    Named(&'a str),
    List(&'a str),
}

fn shape(ty: &str) -> Shape<'_> {
    let ty = ty.strip_suffix('!').unwrap_or(ty);
    match ty.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        Some(inner) => Shape::List(inner),
        None => Shape::Named(ty),
    }
}

fn scalar(name: &str, value: &Value) -> Result<(), String> {
    let text = |value: &Value| match value {
        Value::String(s) => Ok(s.clone()),
        _ => Err(format!("must be a {name} in a string")),
    };
    match name {
        "String" | "ID" => match value {
            Value::String(s) => plain_text(s),
            _ => Ok(()),
        },
        "UUID" => uuid::Uuid::parse_str(&text(value)?)
            .map(|_| ())
            .map_err(|_| "must be a UUID like 0190f4c2-8b1e-7c3a-9d4e-5f6a7b8c9d0e".into()),
        "Decimal" => decimal(value).map(|_| ()),
        "DateTime" => {
            let at = chrono::DateTime::parse_from_rfc3339(&text(value)?)
                .map_err(|_| "must be an RFC 3339 time like 2026-03-01T09:30:00Z".to_owned())?;
            in_years(chrono::Datelike::year(&at))
        }
        "NaiveDate" => {
            let day = chrono::NaiveDate::parse_from_str(&text(value)?, "%Y-%m-%d")
                .map_err(|_| "must be a calendar date like 2026-03-01".to_owned())?;
            in_years(chrono::Datelike::year(&day))
        }
        _ => Ok(()),
    }
}

/// Text with a meaning: no NUL or other control characters but tab and line breaks.
fn plain_text(s: &str) -> Result<(), String> {
    if s.chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

fn in_years(year: i32) -> Result<(), String> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(format!(
            "must fall in the years {} to {}",
            YEARS.start(),
            YEARS.end()
        ))
    }
}

/// A Decimal input, by the one rule in `money`.
pub(crate) fn decimal(value: &Value) -> Result<Decimal, String> {
    crate::money::decimal_input(match value {
        Value::String(s) => Written::Text(s),
        Value::Number(n) if n.is_i64() || n.is_u64() => Written::Integer(n.to_string()),
        Value::Number(_) => Written::Float,
        _ => return Err("must be a decimal number in a string".into()),
    })
}

struct Walk<'a> {
    registry: &'a Registry,
    variables: &'a Variables,
}

impl Walk<'_> {
    /// Checks `value` of registry type `ty`; variables inside a literal are
    /// checked where they are defined.
    fn value(&self, ty: &str, value: &Value, path: &str) -> Result<(), Refusal> {
        let refuse = |message: String| Refusal {
            path: path.to_owned(),
            message,
        };
        if matches!(value, Value::Null) {
            return Ok(());
        }
        match shape(ty) {
            Shape::List(inner) => match value {
                Value::List(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.value(inner, item, &format!("{path}[{i}]"))?;
                    }
                    Ok(())
                }
                // A single value where a list is expected is coerced to a list of one.
                other => self.value(inner, other, path),
            },
            Shape::Named(name) => match self.registry.types.get(name) {
                Some(MetaType::InputObject { input_fields, .. }) => {
                    if let Value::Object(fields) = value {
                        for (field, item) in fields {
                            if let Some(meta) = input_fields.get(field.as_str()) {
                                self.value(&meta.ty, item, &format!("{path}.{field}"))?;
                            }
                        }
                    }
                    Ok(())
                }
                Some(MetaType::Scalar { .. }) => scalar(name, value).map_err(refuse),
                _ => Ok(()),
            },
        }
    }

    fn variable_type(ty: &Type) -> String {
        let base = match &ty.base {
            BaseType::Named(name) => name.to_string(),
            BaseType::List(inner) => format!("[{}]", Self::variable_type(inner)),
        };
        if ty.nullable {
            base
        } else {
            format!("{base}!")
        }
    }

    fn selection_set(&self, parent: &str, set: &SelectionSet) -> Result<(), Refusal> {
        let meta = self.registry.concrete_type_by_name(parent);
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let Some(meta_field) = meta.and_then(|m| m.field_by_name(&field.name.node))
                    else {
                        continue;
                    };
                    for (name, value) in &field.arguments {
                        let Some(arg) = meta_field.args.get(name.node.as_str()) else {
                            continue;
                        };
                        // Variables are checked against their own declaration.
                        let Ok(value) = value
                            .node
                            .clone()
                            .into_const_with(|_| Ok::<_, ()>(Value::Null))
                        else {
                            continue;
                        };
                        self.value(
                            &arg.ty,
                            &value,
                            &format!("{}.{}", field.name.node, name.node),
                        )?;
                    }
                    let child =
                        async_graphql::registry::MetaTypeName::concrete_typename(&meta_field.ty);
                    self.selection_set(child, &field.selection_set.node)?;
                }
                Selection::InlineFragment(fragment) => {
                    let on = fragment
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(parent, |c| c.node.on.node.as_str());
                    self.selection_set(on, &fragment.node.selection_set.node)?;
                }
                // Each fragment is walked once, on its own.
                Selection::FragmentSpread(_) => {}
            }
        }
        Ok(())
    }

    fn document(&self, doc: &ExecutableDocument) -> Result<(), Refusal> {
        for (_, operation) in doc.operations.iter() {
            let operation = &operation.node;
            for definition in &operation.variable_definitions {
                let definition = &definition.node;
                let ty = Self::variable_type(&definition.var_type.node);
                let name: &Name = &definition.name.node;
                if let Some(value) = self.variables.get(name) {
                    self.value(&ty, value, name.as_str())?;
                }
                if let Some(default) = &definition.default_value {
                    self.value(&ty, &default.node, name.as_str())?;
                }
            }
            let root = match operation.ty {
                OperationType::Query => Some(self.registry.query_type.as_str()),
                OperationType::Mutation => self.registry.mutation_type.as_deref(),
                OperationType::Subscription => self.registry.subscription_type.as_deref(),
            };
            if let Some(root) = root {
                self.selection_set(root, &operation.selection_set.node)?;
            }
        }
        for (_, fragment) in doc.fragments.iter() {
            let on = fragment.node.type_condition.node.on.node.as_str();
            self.selection_set(on, &fragment.node.selection_set.node)?;
        }
        Ok(())
    }
}

/// Checks every variable and literal argument of `doc`; the error is a
/// `VALIDATION` naming the value's path (`input.lines[2].quantity`).
pub fn check(
    registry: &Registry,
    doc: &ExecutableDocument,
    variables: &Variables,
) -> Result<(), ServerError> {
    let walk = Walk {
        registry,
        variables,
    };
    walk.document(doc).map_err(|refusal| {
        let mut error = ServerError::new(
            format!("{}: {}", refusal.path, refusal.message),
            None::<Pos>,
        );
        let ext = error
            .extensions
            .get_or_insert_with(ErrorExtensionValues::default);
        ext.set("code", "VALIDATION");
        ext.set("field", refusal.path);
        error
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact_bounded_strings_or_integers() {
        assert!(decimal(&Value::String("1250.50".into())).is_ok());
        assert!(decimal(&Value::from(12)).is_ok());
        assert!(decimal(&Value::from(12.5)).is_err());
        assert!(decimal(&Value::String("NaN".into())).is_err());
        assert!(decimal(&Value::String("79228162514264337593543950335".into())).is_err());
        assert!(decimal(&Value::String("999999999999999.99".into())).is_ok());
        assert!(decimal(&Value::String("0.00000000001".into())).is_err());
    }

    #[test]
    fn dates_and_times_stay_in_the_years_the_domain_knows() {
        assert!(scalar("NaiveDate", &Value::String("2024-02-29".into())).is_ok());
        assert!(scalar("NaiveDate", &Value::String("2024-02-30".into())).is_err());
        assert!(scalar("NaiveDate", &Value::String("-262143-01-01".into())).is_err());
        assert!(scalar("DateTime", &Value::String("9999-01-01T00:00:00Z".into())).is_err());
        assert!(scalar("DateTime", &Value::String("2026-01-01T00:00:00Z".into())).is_ok());
    }

    #[test]
    fn strings_refuse_control_characters_but_keep_line_breaks() {
        assert!(scalar("String", &Value::String("a\u{0}b".into())).is_err());
        assert!(scalar("ID", &Value::String("a\u{1b}b".into())).is_err());
        assert!(scalar("String", &Value::String("line\r\nnext\tcol".into())).is_ok());
    }
}
