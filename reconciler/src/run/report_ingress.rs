//! What Kubernetes shows of Ingresses (SPEC-ingress §5). After an Ingress key's Avi step, the
//! key's Ingresses hear of a failure (`AviError`) and are queued for their report; the report
//! of one Ingress, across all its keys, is its `status.loadBalancer.ingress` (one entry per
//! served host whose key has a VIP, written on change only), each finding once per generation
//! (Warning), `Synced` once what it serves is on Avi and `Removed` when it stops being served.

use std::collections::{BTreeMap, BTreeSet};

use avigw_shared::translate::{IngressReport, Key, ObjKey, ingress_report};
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::networking::v1::IngressStatus;

use super::Controller;
use super::error_policy::{Attempt, Failure};
use super::reconcile::{AviStep, KeyView};
use super::state::{IngressName, IngressSeen};

/// Longest event note (the API's limit is 1 kB).
const NOTE_MAX: usize = 1024;

/// What this process already told about an Ingress.
#[derive(Debug, Default)]
pub struct IngressMemo {
    /// The generation whose findings were published, and those findings (reason, message).
    findings: (Option<i64>, BTreeSet<(String, String)>),
    /// Host → virtual service of the last `Synced` (or of the status found at start).
    served: Option<BTreeMap<String, String>>,
}

impl Controller {
    /// After an Ingress key's Avi step: remember its VIP, tell its Ingresses of a failure
    /// (first of a series), and queue their reports.
    pub(super) async fn l7_key_report(&self, v: &KeyView, avi: &AviStep, attempt: Attempt) {
        match avi {
            Ok(_) => {
                let vip = self.placed_vip(&v.plan.avi);
                self.l7.vips.lock().insert(v.key.clone(), vip);
            }
            Err(f) => {
                let reason = match f {
                    Failure::InvalidAddress { repeated: false, .. } => Some("InvalidAddress"),
                    Failure::Avi(_) if attempt.failures == 0 => Some(f.reason()),
                    _ => None,
                };
                if let Some(reason) = reason {
                    for id in v.plan.ingresses.keys() {
                        if let Some(r) = self.ingress_reference(id) {
                            self.writer.event(r, true, reason, note(f.to_string())).await;
                        }
                    }
                }
            }
        }
        for id in &v.ingresses {
            self.shared.ingresses.add(IngressName(id.clone()));
        }
    }

    fn ingress_reference(&self, id: &ObjKey) -> Option<ObjectReference> {
        let uid = self.shared.ingress_seen.lock().get(id)?.uid.clone();
        Some(ObjectReference {
            api_version: Some("networking.k8s.io/v1".into()),
            kind: Some("Ingress".into()),
            namespace: Some(id.namespace.clone()),
            name: Some(id.name.clone()),
            uid,
            ..ObjectReference::default()
        })
    }

    /// One Ingress's status and events.
    pub(super) async fn report_ingress(&self, name: &IngressName) -> Result<(), Failure> {
        let id = &name.0;
        let (report, seen) = {
            let snap = self.shared.snap.read();
            let report = ingress_report(&self.ctx, &snap, id);
            let seen = self.shared.ingress_seen.lock().get(id).cloned();
            (report, seen)
        };
        let (Some(report), Some(seen), Some(reference)) = (report, seen, self.ingress_reference(id)) else {
            self.ingress_memo.lock().remove(id);
            return Ok(());
        };
        self.publish_findings(id, &report, &reference).await;
        if !report.ours {
            return self.report_not_ours(id, &seen, &reference).await;
        }
        // Every key of its hosts must have synced here first (each queues this report when it
        // has): before that, its hosts would read as unserved.
        let vips: BTreeMap<Key, Option<String>> = {
            let known = self.l7.vips.lock();
            let mut vips = BTreeMap::new();
            for k in report.hosts.values() {
                match known.get(k) {
                    Some(v) => vips.insert(k.clone(), v.clone()),
                    None => return Ok(()),
                };
            }
            vips
        };
        let next = report.status(|k| vips.get(k).and_then(|v| v.as_deref()));
        let served: BTreeMap<String, String> = report
            .hosts
            .iter()
            .filter(|(_, k)| vips.get(*k).is_some_and(Option::is_some))
            .map(|(h, k)| (h.clone(), self.l7_serving_vs(k, h)))
            .collect();
        self.writer
            .ingress_status(&id.namespace, &id.name, seen.status.as_ref(), &next)
            .await?;
        self.announce(id, &seen, &next, served, &reference).await;
        Ok(())
    }

    /// Each finding once per generation.
    async fn publish_findings(&self, id: &ObjKey, report: &IngressReport, reference: &ObjectReference) {
        let fresh: Vec<(String, String)> = {
            let mut memo = self.ingress_memo.lock();
            let m = memo.entry(id.clone()).or_default();
            if m.findings.0 != report.generation {
                m.findings = (report.generation, BTreeSet::new());
            }
            report
                .findings
                .iter()
                .map(|f| (f.reason.clone(), f.message.clone()))
                .filter(|f| m.findings.1.insert(f.clone()))
                .collect()
        };
        for (reason, message) in fresh {
            self.writer
                .event(reference.clone(), true, &reason, note(message))
                .await;
        }
    }

    /// `Synced` when what it serves on Avi changed to something, `Removed` when it went to
    /// nothing. After a restart, a status that already shows what it serves says nothing new.
    async fn announce(
        &self,
        id: &ObjKey,
        seen: &IngressSeen,
        written: &IngressStatus,
        served: BTreeMap<String, String>,
        reference: &ObjectReference,
    ) {
        let before = {
            let mut memo = self.ingress_memo.lock();
            let m = memo.entry(id.clone()).or_default();
            let before = m.served.take().unwrap_or_else(|| {
                if seen.status.as_ref().map(entries) == Some(entries(written)) {
                    served.clone()
                } else {
                    seen.status.as_ref().map(entries).unwrap_or_default()
                }
            });
            m.served = Some(served.clone());
            before
        };
        if served == before {
            return;
        }
        let (reason, message) = if served.is_empty() {
            let vss: BTreeSet<&str> = before
                .values()
                .map(String::as_str)
                .filter(|v| !v.is_empty())
                .collect();
            let on = if vss.is_empty() {
                String::new()
            } else {
                format!(" on {}", join(vss))
            };
            ("Removed", format!("no longer served{on}"))
        } else {
            let vss: BTreeSet<&str> = served.values().map(String::as_str).collect();
            let hosts: Vec<&str> = served.keys().map(String::as_str).collect();
            (
                "Synced",
                format!("served on {} for {}", join(vss), hosts.join(", ")),
            )
        };
        self.writer
            .event(reference.clone(), false, reason, note(message))
            .await;
    }

    /// An Ingress that is not ours (any more): if this process served it, its status is
    /// cleared and it hears `Removed`; otherwise its status is another controller's.
    async fn report_not_ours(
        &self,
        id: &ObjKey,
        seen: &IngressSeen,
        reference: &ObjectReference,
    ) -> Result<(), Failure> {
        let served = self
            .ingress_memo
            .lock()
            .get_mut(id)
            .and_then(|m| m.served.take())
            .unwrap_or_default();
        if served.is_empty() {
            return Ok(());
        }
        let empty = avigw_shared::translate::ingress_status(std::iter::empty());
        self.writer
            .ingress_status(&id.namespace, &id.name, seen.status.as_ref(), &empty)
            .await?;
        let vss: BTreeSet<&str> = served.values().map(String::as_str).collect();
        self.writer
            .event(
                reference.clone(),
                false,
                "Removed",
                note(format!("no longer served on {}", join(vss))),
            )
            .await;
        Ok(())
    }
}

/// Hosts of a status, with no virtual service known.
fn entries(s: &IngressStatus) -> BTreeMap<String, String> {
    s.load_balancer
        .as_ref()
        .and_then(|l| l.ingress.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|e| e.hostname.clone())
        .map(|h| (h, String::new()))
        .collect()
}

fn join<'a>(items: impl IntoIterator<Item = &'a str>) -> String {
    items.into_iter().collect::<Vec<_>>().join(", ")
}

fn note(mut s: String) -> String {
    if s.len() > NOTE_MAX {
        let mut cut = NOTE_MAX - 3;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_notes_are_cut_on_a_character_boundary() {
        let s = "é".repeat(600);
        let n = note(s);
        assert!(n.len() <= NOTE_MAX);
        assert!(n.ends_with("..."));
        assert_eq!(note("short".into()), "short");
    }
}
