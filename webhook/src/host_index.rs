//! Which Ingresses name a host, kept beside the Ingress reflector store so that ING-HOST-TAKEN
//! and the per-host warnings look up the few Ingresses of one host instead of scanning all of
//! them. Fed the same watch events as the store, in the same way: a relist (`Init` …
//! `InitDone`) is buffered and swapped in whole.

use std::collections::{BTreeSet, HashMap};

use avigw_shared::rules::ParsedIngress;
use k8s_openapi::api::networking::v1::Ingress;
use kube::runtime::watcher::Event;
use parking_lot::RwLock;

/// `(namespace, name)` of an Ingress.
pub type IngressKey = (String, String);

/// host → the Ingresses that name it in a rule or under `tls` (wildcards left out, host-less
/// rules under the host `--default-domain` gives them).
pub struct HostIndex {
    default_domain: Option<String>,
    state: RwLock<State>,
}

#[derive(Default)]
struct State {
    by_host: HashMap<String, BTreeSet<IngressKey>>,
    hosts_of: HashMap<IngressKey, Vec<String>>,
    /// The hosts of each Ingress listed so far during a relist.
    relist: Option<HashMap<IngressKey, Vec<String>>>,
}

impl State {
    fn remove(&mut self, key: &IngressKey) {
        for h in self.hosts_of.remove(key).unwrap_or_default() {
            if let Some(set) = self.by_host.get_mut(&h) {
                set.remove(key);
                if set.is_empty() {
                    self.by_host.remove(&h);
                }
            }
        }
    }

    fn insert(&mut self, key: IngressKey, hosts: Vec<String>) {
        self.remove(&key);
        for h in &hosts {
            self.by_host.entry(h.clone()).or_default().insert(key.clone());
        }
        self.hosts_of.insert(key, hosts);
    }
}

impl Default for HostIndex {
    /// Without `--default-domain`.
    fn default() -> Self {
        HostIndex::new(None)
    }
}

impl HostIndex {
    /// An empty index; `default_domain` is `--default-domain`, which names host-less rules.
    pub fn new(default_domain: Option<String>) -> Self {
        HostIndex {
            default_domain,
            state: RwLock::new(State::default()),
        }
    }

    /// The Ingress read as the rules read it.
    pub fn parse(&self, ing: &Ingress) -> ParsedIngress {
        ParsedIngress::new(ing, self.default_domain.as_deref())
    }

    fn entry(&self, ing: &Ingress) -> (IngressKey, Vec<String>) {
        let p = self.parse(ing);
        let mut hosts: Vec<String> = p.rule_hosts().into_iter().map(str::to_owned).collect();
        for h in p.tls_hosts() {
            if !hosts.iter().any(|x| x == h) {
                hosts.push(h.to_owned());
            }
        }
        ((p.namespace, p.name), hosts)
    }

    /// Applies one watch event, as the reflector store does.
    pub fn apply(&self, event: &Event<Ingress>) {
        match event {
            Event::Apply(ing) => {
                let (key, hosts) = self.entry(ing);
                self.state.write().insert(key, hosts);
            }
            Event::Delete(ing) => {
                let (key, _) = self.entry(ing);
                self.state.write().remove(&key);
            }
            Event::Init => self.state.write().relist = Some(HashMap::new()),
            Event::InitApply(ing) => {
                let (key, hosts) = self.entry(ing);
                self.state
                    .write()
                    .relist
                    .get_or_insert_with(HashMap::new)
                    .insert(key, hosts);
            }
            Event::InitDone => {
                let mut state = self.state.write();
                let listed = state.relist.take().unwrap_or_default();
                let mut fresh = State::default();
                for (key, hosts) in listed {
                    fresh.insert(key, hosts);
                }
                *state = fresh;
            }
        }
    }

    /// The Ingresses that name `host`, by `(namespace, name)`.
    pub fn naming(&self, host: &str) -> Vec<IngressKey> {
        self.state
            .read()
            .by_host
            .get(host)
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// How many Ingresses are indexed.
    pub fn len(&self) -> usize {
        self.state.read().hosts_of.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ing(ns: &str, name: &str, spec: &str) -> Ingress {
        serde_yaml::from_str(&format!(
            "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n{spec}"
        ))
        .unwrap()
    }

    fn key(ns: &str, name: &str) -> IngressKey {
        (ns.to_owned(), name.to_owned())
    }

    #[test]
    fn follows_applies_deletes_and_relists() {
        let idx = HostIndex::new(Some("avi.internal".into()));
        let a = ing(
            "shop",
            "a",
            "  tls: [{hosts: [t.com, '*.w.com']}]\n  rules: [{host: a.com}, {host: '*.x.com'}, {}]\n",
        );
        idx.apply(&Event::Apply(a.clone()));
        assert_eq!(idx.naming("a.com"), [key("shop", "a")]);
        assert_eq!(idx.naming("t.com"), [key("shop", "a")]);
        assert_eq!(idx.naming("a.shop.avi.internal"), [key("shop", "a")]);
        assert!(idx.naming("*.x.com").is_empty() && idx.naming("*.w.com").is_empty());
        // An update that drops a host drops it from the index.
        idx.apply(&Event::Apply(ing("shop", "a", "  rules: [{host: b.com}]\n")));
        assert!(idx.naming("a.com").is_empty() && idx.naming("t.com").is_empty());
        assert_eq!(idx.naming("b.com"), [key("shop", "a")]);
        idx.apply(&Event::Apply(ing("web", "b", "  rules: [{host: b.com}]\n")));
        assert_eq!(idx.naming("b.com"), [key("shop", "a"), key("web", "b")]);
        idx.apply(&Event::Delete(ing("shop", "a", "")));
        assert_eq!(idx.naming("b.com"), [key("web", "b")]);
        // A relist replaces everything at InitDone, not before.
        idx.apply(&Event::Init);
        idx.apply(&Event::InitApply(a));
        assert_eq!(idx.naming("b.com"), [key("web", "b")]);
        idx.apply(&Event::InitDone);
        assert!(idx.naming("b.com").is_empty());
        assert_eq!(idx.naming("a.com"), [key("shop", "a")]);
        assert_eq!(idx.len(), 1);
    }
}
