//! PoolGroup: members (each pool once, ratio 0..1000, label a string), `min_servers`.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::array;
use crate::error::ApiError;
use crate::objects::bad;
use crate::refs;
use crate::store::Store;

pub(super) fn validate(store: &Store, m: &Map<String, Value>) -> Result<(), ApiError> {
    let mut pools = HashSet::new();
    for (i, member) in array(m, "members")?.iter().enumerate() {
        let Some(pool_ref) = member.get("pool_ref").and_then(Value::as_str) else {
            return Err(bad(format!("members[{i}].pool_ref: This field is required.")));
        };
        if !pools.insert(pool_ref) {
            let pool_name = refs::split_canonical(pool_ref)
                .and_then(|(_, u)| store.get(u))
                .map_or("", |p| p.name.as_str());
            return Err(bad(format!(
                "members[{i}].pool_ref: Pool {pool_name} is already a member of this pool group"
            )));
        }
        if let Some(ratio) = member.get("ratio")
            && ratio.as_u64().is_none_or(|r| r > 1000)
        {
            return Err(bad(format!("members[{i}].ratio: must be 0..1000")));
        }
        if member.get("priority_label").is_some_and(|l| !l.is_string()) {
            return Err(bad(format!("members[{i}].priority_label: must be a string")));
        }
    }
    if let Some(min) = m.get("min_servers")
        && min.as_u64().is_none_or(|n| n > 65_535)
    {
        return Err(bad("min_servers: must be 0..65535"));
    }
    Ok(())
}
