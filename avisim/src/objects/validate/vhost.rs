//! Virtual hosting (SNI): a `VS_TYPE_VH_CHILD` names a `VS_TYPE_VH_PARENT`, has domain names
//! and neither services nor a VsVip of its own, shares its parent's SE group, and no two
//! children of one parent serve the same domain; a parent stays a parent, in the same SE group,
//! while it has children.

use serde_json::{Map, Value};

use super::array;
use super::virtualservice::{VH_CHILD, VH_PARENT};
use crate::error::ApiError;
use crate::objects::bad;
use crate::refs;
use crate::store::{Record, Store};

fn ref_str<'a>(m: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    m.get(field).and_then(Value::as_str)
}

fn name_of<'s>(store: &'s Store, canonical: Option<&str>) -> &'s str {
    canonical
        .and_then(refs::split_canonical)
        .and_then(|(_, u)| store.get(u))
        .map_or("", |r| r.name.as_str())
}

/// The children of the virtual service `uuid`, in creation order.
fn children<'s>(store: &'s Store, uuid: &str) -> Vec<&'s Record> {
    let own = refs::canonical("virtualservice", uuid);
    store
        .list("virtualservice")
        .filter(|vs| ref_str(&vs.body, "vh_parent_vs_ref") == Some(own.as_str()))
        .collect()
}

pub(super) fn child(store: &Store, m: &Map<String, Value>, own_uuid: Option<&str>) -> Result<(), ApiError> {
    let Some(parent_ref) = ref_str(m, "vh_parent_vs_ref") else {
        return Err(bad(format!(
            "vh_parent_vs_ref: This field is required for a {VH_CHILD} virtual service."
        )));
    };
    let parent = refs::split_canonical(parent_ref)
        .and_then(|(_, u)| store.get(u))
        .ok_or_else(|| bad("VirtualService object not found"))?;
    if Some(parent.uuid.as_str()) == own_uuid {
        return Err(bad(
            "vh_parent_vs_ref: a virtual service cannot be its own parent",
        ));
    }
    let parent_type = ref_str(&parent.body, "type").unwrap_or_default();
    if parent_type != VH_PARENT {
        return Err(bad(format!(
            "vh_parent_vs_ref: VirtualService {} is of type {parent_type}, not {VH_PARENT}",
            parent.name
        )));
    }
    let domains = array(m, "vh_domain_name")?;
    if domains.iter().any(|d| d.as_str().is_none_or(str::is_empty)) {
        return Err(bad("vh_domain_name: must be a list of domain names"));
    }
    if domains.is_empty() {
        return Err(bad(format!(
            "vh_domain_name: a {VH_CHILD} virtual service needs at least one domain name"
        )));
    }
    if !array(m, "services")?.is_empty() {
        return Err(bad(format!(
            "services: a {VH_CHILD} virtual service has no services of its own (it is reached through its parent's)"
        )));
    }
    if m.contains_key("vsvip_ref") {
        return Err(bad(format!(
            "vsvip_ref: a {VH_CHILD} virtual service has no VsVip of its own (it uses its parent's)"
        )));
    }
    let parent_group = ref_str(&parent.body, "se_group_ref");
    if ref_str(m, "se_group_ref") != parent_group {
        return Err(bad(format!(
            "se_group_ref: a {VH_CHILD} virtual service must be in its parent's service engine group ({})",
            name_of(store, parent_group)
        )));
    }
    for sibling in children(store, &parent.uuid) {
        if Some(sibling.uuid.as_str()) == own_uuid {
            continue;
        }
        let taken = array(&sibling.body, "vh_domain_name").unwrap_or_default();
        if let Some(d) = domains.iter().find(|d| taken.contains(d)) {
            return Err(bad(format!(
                "vh_domain_name: {} is already served by VirtualService {} under the same parent",
                d.as_str().unwrap_or_default(),
                sibling.name
            )));
        }
    }
    Ok(())
}

/// On an update of `own`: its children keep a parent of type `VS_TYPE_VH_PARENT` in their SE
/// group.
pub(super) fn keeps_children(
    store: &Store,
    own: &str,
    ty: &str,
    m: &Map<String, Value>,
) -> Result<(), ApiError> {
    let kids = children(store, own);
    let Some(first) = kids.first() else {
        return Ok(());
    };
    let names = kids
        .iter()
        .map(|k| format!("'VirtualService {}'", k.name))
        .collect::<Vec<_>>()
        .join(", ");
    if ty != VH_PARENT {
        return Err(bad(format!(
            "type: the children [{names}] need this virtual service to stay {VH_PARENT}"
        )));
    }
    let group = ref_str(m, "se_group_ref");
    if ref_str(&first.body, "se_group_ref") != group {
        return Err(bad(format!(
            "se_group_ref: the children [{names}] are in service engine group {}; a parent keeps its children's group",
            name_of(store, ref_str(&first.body, "se_group_ref"))
        )));
    }
    Ok(())
}
