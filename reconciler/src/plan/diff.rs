//! `plan --diff`: what a sync would do against what the controller holds, object by object.
//! The verdict per object is the reconciler's own (`run::diff::differences`, `run::ownership`);
//! this module only compares the whole desired set with the whole live set and renders it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use avigw_shared::avi::{AviObjects, kind};
use avigw_shared::naming::ClusterName;
use serde::Serialize;
use serde_json::Value;

use crate::run::diff::differences;
use crate::run::ownership::{Holder, classify, created_by, vsvip_holder, vsvip_name_of};

/// Fields never compared nor shown (bookkeeping; a certificate's private key).
const HIDDEN: [&str; 4] = ["uuid", "url", "_last_modified", "key"];
/// Longest value shown in the table; JSON output carries it whole.
const SHOWN_MAX: usize = 120;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "action")]
pub enum Action {
    Create,
    Update,
    /// Taken over in place from an `adoptFrom` creator.
    Adopt {
        from: String,
    },
    Unchanged,
    Delete,
    /// Held by another creator: the sync would not write it (`NameTaken`).
    NameTaken {
        created_by: String,
    },
    /// An `adoptFrom` creator's object avigw does not want: never touched.
    LeftAlone {
        created_by: String,
    },
}

impl Action {
    fn word(&self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Adopt { .. } => "adopt",
            Action::Unchanged => "unchanged",
            Action::Delete => "delete",
            Action::NameTaken { .. } => "name-taken",
            Action::LeftAlone { .. } => "left-alone",
        }
    }

    /// Whether the controller is not yet where a sync would bring it.
    pub fn pending(&self) -> bool {
        !matches!(self, Action::Unchanged | Action::LeftAlone { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub field: String,
    /// What Avi holds (absent: not set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Value>,
    /// What avigw would send (absent: removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// The Gateway, Service or Ingress key that wants the object (none for deletes and
    /// objects left alone).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    #[serde(flatten)]
    pub action: Action,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
}

#[derive(Debug, Default, Serialize)]
pub struct Diff {
    pub changes: Vec<Change>,
}

/// What the controller holds: every object under the cluster's prefix, of every creator, and
/// every object of the `adoptFrom` creators, by (type, name), as Avi answered them (refs with
/// their `#name`).
#[derive(Debug, Default)]
pub struct Live {
    pub objects: BTreeMap<(String, String), Value>,
}

impl Live {
    fn get(&self, k: &str, name: &str) -> Option<&Value> {
        self.objects.get(&(k.to_owned(), name.to_owned()))
    }

    /// The virtual service that refers to each VsVip, by VsVip name.
    fn vsvip_referrers(&self) -> BTreeMap<String, &Value> {
        self.objects
            .iter()
            .filter(|((k, _), _)| k == kind::VIRTUALSERVICE)
            .filter_map(|(_, vs)| Some((vsvip_name_of(vs)?, vs)))
            .collect()
    }
}

/// Compares what the keys want with what Avi holds.
pub fn compare<'a>(
    desired: impl IntoIterator<Item = (String, &'a AviObjects)>,
    live: &Live,
    cluster: &ClusterName,
    adopt_from: &[String],
) -> Diff {
    let ours = cluster.created_by();
    let referrers = live.vsvip_referrers();
    let holder = |k: &str, name: &str, v: &Value| {
        if k == kind::VSVIP {
            vsvip_holder(v, referrers.get(name).copied(), cluster, adopt_from)
        } else {
            classify(created_by(v), &ours, adopt_from)
        }
    };
    let mut changes = Vec::new();
    let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
    for (key, objects) in desired {
        for o in objects.create_order() {
            let (k, name) = (o.kind(), o.name().to_owned());
            if !wanted.insert((k.to_owned(), name.clone())) {
                continue;
            }
            let Ok(want) = serde_json::to_value(o) else {
                continue;
            };
            let (action, fields) = match live.get(k, &name) {
                None => (Action::Create, Vec::new()),
                Some(actual) => match holder(k, &name, actual) {
                    Holder::Ours if differences(k, &want, actual).is_empty() => {
                        (Action::Unchanged, Vec::new())
                    }
                    Holder::Ours => (Action::Update, field_changes(k, &want, actual)),
                    Holder::Adopt { from } => (Action::Adopt { from }, field_changes(k, &want, actual)),
                    Holder::Taken { created_by } => (Action::NameTaken { created_by }, Vec::new()),
                },
            };
            changes.push(Change {
                key: Some(key.clone()),
                kind: k.to_owned(),
                name,
                action,
                fields,
            });
        }
    }
    for ((k, name), v) in &live.objects {
        if wanted.contains(&(k.clone(), name.clone())) {
            continue;
        }
        let action = match holder(k, name, v) {
            Holder::Ours => Action::Delete,
            Holder::Adopt { from } => Action::LeftAlone { created_by: from },
            Holder::Taken { .. } => continue,
        };
        changes.push(Change {
            key: None,
            kind: k.clone(),
            name: name.clone(),
            action,
            fields: Vec::new(),
        });
    }
    Diff { changes }
}

/// The top-level fields where Avi's object falls short of `desired` (the reconciler's own
/// comparison, `run::diff::differences`): desired's fields in its order, then the fields Avi
/// holds that desired leaves out and avigw must clear.
pub fn field_changes(k: &str, desired: &Value, actual: &Value) -> Vec<FieldChange> {
    let (Some(d), Some(a)) = (desired.as_object(), actual.as_object()) else {
        return Vec::new();
    };
    let paths = differences(k, desired, actual);
    let changed: BTreeSet<&str> = paths
        .iter()
        .map(|p| p.split(['.', '[']).next().unwrap_or_default())
        .collect();
    let shown = |f: &String| changed.contains(f.as_str()) && !HIDDEN.contains(&f.as_str());
    let wanted = d.keys().filter(|f| shown(f)).map(|f| FieldChange {
        field: f.clone(),
        from: a.get(f).cloned(),
        to: d.get(f).cloned(),
    });
    let cleared = a
        .keys()
        .filter(|f| !d.contains_key(*f) && shown(f))
        .map(|f| FieldChange {
            field: f.clone(),
            from: a.get(f).cloned(),
            to: None,
        });
    wanted.chain(cleared).collect()
}

impl Diff {
    /// Something would change: exit 2.
    pub fn pending(&self) -> bool {
        self.changes.iter().any(|c| c.action.pending())
    }

    pub fn count(&self, word: &str) -> usize {
        self.changes.iter().filter(|c| c.action.word() == word).count()
    }

    /// One line per object, indented field changes under it, then the totals.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{:<11} {:<22} {:<50} KEY", "ACTION", "TYPE", "NAME");
        for c in &self.changes {
            let action = match &c.action {
                Action::Adopt { from } => format!("adopt from {from}"),
                Action::NameTaken { created_by } if created_by.is_empty() => {
                    "name-taken (no created_by)".into()
                }
                Action::NameTaken { created_by } => format!("name-taken by {created_by}"),
                Action::LeftAlone { created_by } => format!("left-alone ({created_by})"),
                a => a.word().to_owned(),
            };
            let _ = writeln!(
                out,
                "{:<11} {:<22} {:<50} {}",
                action,
                c.kind,
                c.name,
                c.key.as_deref().unwrap_or("-")
            );
            for f in &c.fields {
                let _ = writeln!(
                    out,
                    "    {}: {} -> {}",
                    f.field,
                    shown(f.from.as_ref()),
                    shown(f.to.as_ref())
                );
            }
        }
        let words = [
            "create",
            "update",
            "adopt",
            "delete",
            "unchanged",
            "name-taken",
            "left-alone",
        ];
        let totals: Vec<String> = words.iter().map(|w| format!("{} {w}", self.count(w))).collect();
        let _ = writeln!(out, "\n{}", totals.join(", "));
        out
    }
}

fn shown(v: Option<&Value>) -> String {
    let Some(v) = v else {
        return "(none)".into();
    };
    let s = v.to_string();
    if s.chars().count() <= SHOWN_MAX {
        return s;
    }
    let cut: String = s.chars().take(SHOWN_MAX).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live(objs: &[(&str, Value)]) -> Live {
        Live {
            objects: objs
                .iter()
                .map(|(k, v)| ((k.to_string(), v["name"].as_str().unwrap().to_owned()), v.clone()))
                .collect(),
        }
    }

    fn desired() -> AviObjects {
        serde_json::from_value(json!({
            "vsvip": {"name": "demo--ns-gw", "vip": [{"vip_id": "0", "auto_allocate_ip": true}],
                "markers": [{"key": "clustername", "values": ["demo"]}]},
            "pools": [{"name": "demo--ns-svc-gw-TCP-80", "created_by": "avigw-demo",
                "servers": [{"ip": {"addr": "10.0.0.2", "type": "V4"}, "port": 8080}]}],
            "virtualservice": {"name": "demo--ns-gw", "created_by": "avigw-demo",
                "services": [{"port": 80, "port_range_end": 80}],
                "vsvip_ref": "/api/vsvip?name=demo--ns-gw"}
        }))
        .unwrap()
    }

    fn cluster() -> ClusterName {
        ClusterName::new("demo").unwrap()
    }

    fn ako() -> Live {
        live(&[
            (
                "vsvip",
                json!({"name": "demo--ns-gw", "uuid": "vsvip-1",
                "vip": [{"vip_id": "0", "auto_allocate_ip": true, "ip_address": {"addr": "10.50.0.7", "type": "V4"}}],
                "markers": [{"key": "clustername", "values": ["demo"]}]}),
            ),
            (
                "pool",
                json!({"name": "demo--ns-svc-gw-TCP-80", "uuid": "pool-1", "created_by": "ako-demo",
                "servers": [{"ip": {"addr": "10.0.0.1", "type": "V4"}, "port": 8080, "enabled": true}]}),
            ),
            (
                "virtualservice",
                json!({"name": "demo--ns-gw", "uuid": "vs-1", "created_by": "ako-demo",
                "services": [{"port": 80, "port_range_end": 80}],
                "vsvip_ref": "https://avi/api/vsvip/vsvip-1#demo--ns-gw"}),
            ),
            (
                "pool",
                json!({"name": "demo--other-route-pool", "uuid": "pool-2", "created_by": "ako-demo"}),
            ),
        ])
    }

    #[test]
    fn ako_objects_are_adopted_with_their_field_changes_and_the_rest_left_alone() {
        let d = desired();
        let diff = compare(
            [("Gateway ns/gw".to_owned(), &d)],
            &ako(),
            &cluster(),
            &["ako-demo".into()],
        );
        let by_name: Vec<(&str, &str, &Action)> = diff
            .changes
            .iter()
            .map(|c| (c.kind.as_str(), c.name.as_str(), &c.action))
            .collect();
        let adopt = Action::Adopt {
            from: "ako-demo".into(),
        };
        assert_eq!(
            by_name,
            [
                ("vsvip", "demo--ns-gw", &adopt),
                ("pool", "demo--ns-svc-gw-TCP-80", &adopt),
                ("virtualservice", "demo--ns-gw", &adopt),
                (
                    "pool",
                    "demo--other-route-pool",
                    &Action::LeftAlone {
                        created_by: "ako-demo".into()
                    }
                ),
            ]
        );
        let pool = &diff.changes[1];
        assert_eq!(
            pool.fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
            ["created_by", "servers"]
        );
        assert_eq!(pool.fields[0].from, Some(json!("ako-demo")));
        assert_eq!(pool.fields[0].to, Some(json!("avigw-demo")));
        // The VsVip: its allocated address is not a change, only whose it is.
        assert!(diff.changes[0].fields.is_empty(), "{:?}", diff.changes[0].fields);
        assert!(diff.pending());
        let table = diff.table();
        assert!(table.contains("adopt from ako-demo"), "{table}");
        assert!(
            table.contains("    servers: [{\"enabled\":true,\"ip\":{\"addr\":\"10.0.0.1\""),
            "{table}"
        );
        assert!(table.contains("left-alone (ako-demo)"), "{table}");
        assert!(
            table.ends_with(
                "0 create, 0 update, 3 adopt, 0 delete, 0 unchanged, 0 name-taken, 1 left-alone\n"
            ),
            "{table}"
        );
    }

    #[test]
    fn without_adopt_from_the_names_are_taken() {
        let d = desired();
        let diff = compare([("Gateway ns/gw".to_owned(), &d)], &ako(), &cluster(), &[]);
        let actions: Vec<&Action> = diff.changes.iter().map(|c| &c.action).collect();
        let taken = Action::NameTaken {
            created_by: "ako-demo".into(),
        };
        assert_eq!(
            actions,
            [&taken, &taken, &taken],
            "nothing deleted, nothing left-alone listed"
        );
        assert!(diff.pending());
    }

    #[test]
    fn in_sync_is_unchanged_and_exits_clean_and_ours_unwanted_is_deleted() {
        let d = desired();
        let mut l = ako();
        for (_, v) in l.objects.iter_mut() {
            if v["created_by"] == "ako-demo" {
                v["created_by"] = json!("avigw-demo");
            }
        }
        l.objects
            .get_mut(&("pool".into(), "demo--ns-svc-gw-TCP-80".into()))
            .unwrap()["servers"][0]["ip"]["addr"] = json!("10.0.0.2");
        l.objects
            .remove(&("pool".into(), "demo--other-route-pool".into()));
        let diff = compare([("Gateway ns/gw".to_owned(), &d)], &l, &cluster(), &[]);
        assert!(
            diff.changes.iter().all(|c| c.action == Action::Unchanged),
            "{diff:?}"
        );
        assert!(!diff.pending());
        l.objects.insert(
            ("pool".into(), "demo--ns-gone".into()),
            json!({"name": "demo--ns-gone", "created_by": "avigw-demo"}),
        );
        let diff = compare([("Gateway ns/gw".to_owned(), &d)], &l, &cluster(), &[]);
        assert_eq!(diff.changes.last().unwrap().action, Action::Delete);
        assert!(diff.pending());
        let json = serde_json::to_value(&diff).unwrap();
        assert_eq!(
            json["changes"][3],
            json!({"type": "pool", "name": "demo--ns-gone", "action": "delete"})
        );
    }

    #[test]
    fn a_dropped_owned_field_shows_as_removed_and_a_private_key_never_shows() {
        let want = json!({"name": "vs"});
        let actual = json!({"name": "vs", "l4_policies": [{"index": 0}], "uuid": "vs-1", "east_west_placement": false});
        let f = field_changes(kind::VIRTUALSERVICE, &want, &actual);
        assert_eq!(
            f,
            [FieldChange {
                field: "l4_policies".into(),
                from: Some(json!([{"index": 0}])),
                to: None
            }]
        );
        let cert =
            json!({"name": "c", "key": "-----BEGIN PRIVATE KEY-----", "certificate": {"certificate": "B"}});
        let held = json!({"name": "c", "certificate": {"certificate": "A"}});
        let f = field_changes(kind::SSLKEYANDCERTIFICATE, &cert, &held);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].field, "certificate");
        let diff = Diff {
            changes: vec![Change {
                key: None,
                kind: "sslkeyandcertificate".into(),
                name: "c".into(),
                action: Action::Update,
                fields: f,
            }],
        };
        assert!(!diff.table().contains("PRIVATE"));
    }
}
