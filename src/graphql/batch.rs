//! What the batch loaders share: grouping a batch's rows under the keys they
//! were asked for.

use std::collections::HashMap;

use uuid::Uuid;

/// Rows grouped by the key they belong to (`None`: under no key), in order.
pub fn grouped<M>(rows: Vec<M>, key: impl Fn(&M) -> Option<Uuid>) -> HashMap<Uuid, Vec<M>> {
    let mut groups: HashMap<Uuid, Vec<M>> = HashMap::new();
    for row in rows {
        if let Some(k) = key(&row) {
            groups.entry(k).or_default().push(row);
        }
    }
    groups
}
