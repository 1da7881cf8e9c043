//! Who holds an Avi name avigw wants (SPEC §5): avigw itself (a create whose answer was lost),
//! a creator listed in `adoptFrom` (taken over in place: PUT, `created_by` rewritten, uuid and
//! VIP kept), or anyone else, empty `created_by` included (never written: `NameTaken`).
//!
//! VsVips have no `created_by`, and AKO marks its VsVips exactly as avigw does (`clustername`
//! only). A VsVip therefore belongs to the creator of the virtual service that refers to it
//! (`vsvip_ref`); one no virtual service refers to is avigw's when it carries this cluster's
//! `clustername` marker.

use std::collections::BTreeMap;

use avigw_shared::avi::{kind, parse_ref};
use avigw_shared::naming::{ClusterName, MarkerKey};
use parking_lot::Mutex;
use serde_json::Value;

use crate::avi::{AviClient, AviError, ListQuery, Result};

/// Object types that carry `created_by` (all but VsVip).
pub const CREATED_BY_KINDS: [&str; 7] = [
    kind::VIRTUALSERVICE,
    kind::POOL,
    kind::L4POLICYSET,
    kind::SSLKEYANDCERTIFICATE,
    kind::POOLGROUP,
    kind::VSDATASCRIPTSET,
    kind::HTTPPOLICYSET,
];

/// The holder of a name, as far as avigw's writes go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// avigw's own: update it.
    Ours,
    /// A creator listed in `adoptFrom`: take it over in place.
    Adopt { from: String },
    /// Anyone else (empty when the object names no creator): never written.
    Taken { created_by: String },
}

/// The one rule: `created_by` against avigw's own and the `adoptFrom` list.
pub fn classify(created_by: Option<&str>, ours: &str, adopt_from: &[String]) -> Holder {
    match created_by.unwrap_or_default() {
        c if c == ours => Holder::Ours,
        c if !c.is_empty() && adopt_from.iter().any(|a| a == c) => Holder::Adopt { from: c.to_owned() },
        c => Holder::Taken {
            created_by: c.to_owned(),
        },
    }
}

/// The refusal of a name held by another creator.
pub fn name_taken(kind: &str, name: &str, created_by: &str) -> AviError {
    AviError::NameTaken {
        object: kind.to_owned(),
        name: name.to_owned(),
        created_by: created_by.to_owned(),
    }
}

/// `created_by` of an object as Avi answered it.
pub fn created_by(v: &Value) -> Option<&str> {
    v.get("created_by").and_then(Value::as_str)
}

/// The VsVip a virtual service refers to, by name (refs read with `include_name`) or uuid.
pub fn refers_to_vsvip(vs: &Value, vsvip_name: &str, vsvip_uuid: Option<&str>) -> bool {
    let Some(target) = vs.get("vsvip_ref").and_then(Value::as_str).and_then(parse_ref) else {
        return false;
    };
    target.name.as_deref() == Some(vsvip_name)
        || (vsvip_uuid.is_some() && target.uuid.as_deref() == vsvip_uuid)
}

/// The name of the VsVip a virtual service refers to (refs read with `include_name`).
pub fn vsvip_name_of(vs: &Value) -> Option<String> {
    vs.get("vsvip_ref")
        .and_then(Value::as_str)
        .and_then(parse_ref)
        .and_then(|r| r.name)
}

/// The holder of a VsVip: the creator of `referrer` (the virtual service that refers to it),
/// else avigw's when it carries this cluster's marker.
pub fn vsvip_holder(
    vsvip: &Value,
    referrer: Option<&Value>,
    cluster: &ClusterName,
    adopt_from: &[String],
) -> Holder {
    let ours = cluster.created_by();
    if let Some(vs) = referrer {
        return classify(created_by(vs), &ours, adopt_from);
    }
    let marked = vsvip
        .get("markers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|m| {
            m.get("key").and_then(Value::as_str) == Some(MarkerKey::ClusterName.as_str())
                && m.pointer("/values/0").and_then(Value::as_str) == Some(cluster.as_str())
        });
    if marked {
        Holder::Ours
    } else {
        Holder::Taken {
            created_by: String::new(),
        }
    }
}

/// Names on Avi under another creator that avigw may want, read at start-up and every resync:
/// virtual services under this cluster's prefix (and the VsVips they refer to) and every
/// object of an `adoptFrom` creator.
pub struct Owners {
    cluster: ClusterName,
    adopt_from: Vec<String>,
    /// (type, name) → creator.
    foreign: Mutex<BTreeMap<(&'static str, String), String>>,
}

/// What to do with a name avigw wants that Avi already holds.
pub enum Resolved {
    /// Update this object (ours, or adopted from `from`).
    Update {
        actual: Value,
        adopted_from: Option<String>,
    },
    /// The name is free again (deleted since it was seen): create it.
    Gone,
}

impl Owners {
    pub fn new(cluster: &ClusterName, adopt_from: Vec<String>) -> Self {
        Owners {
            cluster: cluster.clone(),
            adopt_from,
            foreign: Mutex::default(),
        }
    }

    /// Reads the foreign holders anew. Answers the VsVips that belong to another creator's
    /// virtual service: the cache must not count them as avigw's.
    pub async fn load(&self, avi: &AviClient, tenant: &str) -> Result<Vec<String>> {
        let ours = self.cluster.created_by();
        let mut fresh: BTreeMap<(&'static str, String), String> = BTreeMap::new();
        // Only what is read here: a whole VirtualService with its server defaults is ≈10 KB,
        // and every one of the fleet's is listed.
        let q = ListQuery {
            include_name: true,
            fields: ["name", "created_by", "vsvip_ref"].map(String::from).to_vec(),
            ..ListQuery::name_prefix(self.cluster.prefix())
        };
        let vss: Vec<Value> = avi.list(kind::VIRTUALSERVICE, &q, Some(tenant)).await?;
        let mut foreign_vips = Vec::new();
        for vs in &vss {
            let (Some(name), Some(c)) = (vs.get("name").and_then(Value::as_str), created_by(vs)) else {
                continue;
            };
            if c == ours {
                continue;
            }
            fresh.insert((kind::VIRTUALSERVICE, name.to_owned()), c.to_owned());
            if let Some(vip) = vsvip_name_of(vs) {
                fresh.insert((kind::VSVIP, vip.clone()), c.to_owned());
                foreign_vips.push(vip);
            }
        }
        for creator in &self.adopt_from {
            for k in CREATED_BY_KINDS {
                let q = ListQuery {
                    fields: vec!["name".into()],
                    ..ListQuery::created_by(creator.clone())
                };
                let items: Vec<Value> = avi.list(k, &q, Some(tenant)).await?;
                for n in items.iter().filter_map(|v| v.get("name").and_then(Value::as_str)) {
                    fresh.insert((k, n.to_owned()), creator.clone());
                }
            }
        }
        *self.foreign.lock() = fresh;
        Ok(foreign_vips)
    }

    /// The creator Avi was last seen to hold `name` under, when not avigw.
    pub fn known_foreign(&self, kind: &str, name: &str) -> Option<String> {
        let g = self.foreign.lock();
        g.iter()
            .find(|((k, n), _)| *k == kind && n == name)
            .map(|(_, c)| c.clone())
    }

    /// Objects of `adoptFrom` creators not taken over (yet), for the start-up/resync log.
    pub fn not_adopted(&self) -> Vec<(&'static str, String, String)> {
        self.foreign
            .lock()
            .iter()
            .filter(|(_, c)| self.adopt_from.contains(c))
            .map(|((k, n), c)| (*k, n.clone(), c.clone()))
            .collect()
    }

    /// Avi holds `name` (a create answered 409, or it was seen under another creator): reads
    /// it and decides. Another creator's object is refused with `NameTaken` and never written.
    pub async fn resolve(
        &self,
        avi: &AviClient,
        tenant: &str,
        k: &'static str,
        name: &str,
    ) -> Result<Resolved> {
        let Some(actual) = avi.get_by_name::<Value>(k, name, Some(tenant)).await? else {
            self.foreign.lock().remove(&(k, name.to_owned()));
            return Ok(Resolved::Gone);
        };
        let holder = if k == kind::VSVIP {
            let uuid = actual.get("uuid").and_then(Value::as_str);
            let referrer = avi
                .get_by_name::<Value>(kind::VIRTUALSERVICE, name, Some(tenant))
                .await?
                .filter(|vs| refers_to_vsvip(vs, name, uuid));
            vsvip_holder(&actual, referrer.as_ref(), &self.cluster, &self.adopt_from)
        } else {
            classify(created_by(&actual), &self.cluster.created_by(), &self.adopt_from)
        };
        match holder {
            Holder::Ours => Ok(Resolved::Update {
                actual,
                adopted_from: None,
            }),
            Holder::Adopt { from } => Ok(Resolved::Update {
                actual,
                adopted_from: Some(from),
            }),
            Holder::Taken { created_by } => {
                self.foreign
                    .lock()
                    .insert((k, name.to_owned()), created_by.clone());
                Err(name_taken(k, name, &created_by))
            }
        }
    }

    /// `name` is avigw's now.
    pub fn taken_over(&self, k: &'static str, name: &str) {
        self.foreign.lock().remove(&(k, name.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn adopt() -> Vec<String> {
        vec!["ako-demo".to_owned()]
    }

    #[test]
    fn a_409_is_ours_adopted_or_taken() {
        let ours = "avigw-demo";
        assert_eq!(classify(Some("avigw-demo"), ours, &adopt()), Holder::Ours);
        assert_eq!(
            classify(Some("ako-demo"), ours, &adopt()),
            Holder::Adopt {
                from: "ako-demo".into()
            }
        );
        assert_eq!(
            classify(Some("ako-demo"), ours, &[]),
            Holder::Taken {
                created_by: "ako-demo".into()
            },
            "not listed: never written"
        );
        assert_eq!(
            classify(Some("ako-other"), ours, &adopt()),
            Holder::Taken {
                created_by: "ako-other".into()
            }
        );
        for empty in [None, Some("")] {
            assert_eq!(
                classify(empty, ours, &adopt()),
                Holder::Taken {
                    created_by: String::new()
                },
                "empty is never adopted"
            );
        }
        // Another avigw install (another cluster name) is another creator.
        assert!(matches!(
            classify(Some("avigw-other"), ours, &adopt()),
            Holder::Taken { .. }
        ));
    }

    /// AKO's VsVip carries the same `clustername` marker as avigw's: the virtual service that
    /// refers to it decides.
    #[test]
    fn an_ako_vsvip_is_recognised_by_the_virtual_service_that_refers_to_it() {
        let cluster = ClusterName::new("demo").unwrap();
        let vsvip = json!({"name": "demo--default-gw", "uuid": "vsvip-1",
            "markers": [{"key": "clustername", "values": ["demo"]}]});
        let ako_vs = json!({"name": "demo--default-gw", "created_by": "ako-demo",
            "vsvip_ref": "https://avi/api/vsvip/vsvip-1#demo--default-gw"});
        assert_eq!(
            vsvip_holder(&vsvip, Some(&ako_vs), &cluster, &adopt()),
            Holder::Adopt {
                from: "ako-demo".into()
            }
        );
        assert_eq!(
            vsvip_holder(&vsvip, Some(&ako_vs), &cluster, &[]),
            Holder::Taken {
                created_by: "ako-demo".into()
            }
        );
        let our_vs = json!({"name": "demo--default-gw", "created_by": "avigw-demo"});
        assert_eq!(vsvip_holder(&vsvip, Some(&our_vs), &cluster, &[]), Holder::Ours);
        // No virtual service refers to it: the marker decides.
        assert_eq!(vsvip_holder(&vsvip, None, &cluster, &[]), Holder::Ours);
        let unmarked = json!({"name": "demo--default-gw"});
        assert_eq!(
            vsvip_holder(&unmarked, None, &cluster, &adopt()),
            Holder::Taken {
                created_by: String::new()
            }
        );
        let other_cluster = json!({"name": "demo--default-gw",
            "markers": [{"key": "clustername", "values": ["prod"]}]});
        assert!(matches!(
            vsvip_holder(&other_cluster, None, &cluster, &adopt()),
            Holder::Taken { .. }
        ));
    }

    #[test]
    fn a_virtual_service_refers_to_its_vsvip_by_name_or_uuid() {
        let by_name = json!({"vsvip_ref": "https://avi/api/vsvip/vsvip-1#demo--a"});
        assert!(refers_to_vsvip(&by_name, "demo--a", None));
        assert!(!refers_to_vsvip(&by_name, "demo--b", None));
        let by_uuid = json!({"vsvip_ref": "https://avi/api/vsvip/vsvip-1"});
        assert!(refers_to_vsvip(&by_uuid, "demo--a", Some("vsvip-1")));
        assert!(!refers_to_vsvip(&by_uuid, "demo--a", Some("vsvip-2")));
        assert!(!refers_to_vsvip(&json!({}), "demo--a", Some("vsvip-1")));
        assert_eq!(vsvip_name_of(&by_name).as_deref(), Some("demo--a"));
        assert_eq!(vsvip_name_of(&by_uuid), None);
    }

    #[test]
    fn the_refusal_names_the_object_and_its_creator() {
        assert_eq!(
            name_taken("virtualservice", "demo--default-gw", "ako-demo").to_string(),
            "Avi object virtualservice/demo--default-gw belongs to ako-demo; set adoptFrom to take it over"
        );
        assert_eq!(
            name_taken("vsvip", "demo--default-gw", "").to_string(),
            "Avi object vsvip/demo--default-gw belongs to another creator (no created_by); avigw does not take it over: rename or remove it on Avi"
        );
    }
}
