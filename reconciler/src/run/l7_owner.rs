//! Which Ingress key owns an Avi object. An L4 object names its key in its markers; an Ingress
//! object names its host (SPEC-ingress §4.6), and which key a host is on depends on the shard
//! size in force (`--shard-vs-size`, an AviInfraSetting's `shardSize`), which can change while
//! the object stands. So the cache indexes Ingress objects by what they say of themselves — a
//! [`L7Tag`] — and a key's objects are looked up through the snapshot's host placement when
//! the key syncs: every host whose objects are tagged is on exactly one key, so each object is
//! cleaned up by one key, also after the shard size moved its host.

use std::collections::{BTreeMap, BTreeSet};

use avigw_shared::naming::{ClusterName, MarkedObject, MarkerKey};
use avigw_shared::translate::{Key, L7Key, L7Unit};

/// What an Ingress object says of itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum L7Tag {
    /// Named after a top virtual service and marked with `clustername` only: a shared parent's
    /// VirtualService, VsVip, PoolGroup, VSDataScriptSet and redirect set, or a DEDICATED
    /// VsVip.
    Top(String),
    /// One host's object.
    Host { infra: Option<String>, host: String },
}

const SHARED: &str = "--Shared-L7-";
const DEDICATED: &str = "-L7-dedicated";

impl L7Tag {
    /// The tag of an owned object from its name and markers (`marker` answers a marker's first
    /// value); `None` for L4 objects. Kubernetes names are lowercase, so no Gateway or Service
    /// name has the `Shared-L7-` / `-L7-dedicated` spelling of Ingress top names.
    pub fn of<'a>(name: &str, marker: impl Fn(MarkerKey) -> Option<&'a str>) -> Option<Self> {
        match MarkedObject::read(&marker) {
            Some(MarkedObject::IngressHost { host, infra }) => Some(L7Tag::Host { infra, host }),
            Some(_) => None,
            None if name.contains(SHARED) || name.ends_with(DEDICATED) => Some(L7Tag::Top(name.to_owned())),
            None => None,
        }
    }
}

/// The shared-parent key a top name is, if it is one of this cluster's.
pub fn shared_key(cluster: &ClusterName, name: &str) -> Option<Key> {
    let rest = name.strip_prefix(&format!("{}{}", cluster.as_str(), SHARED))?;
    let (infra, n) = match rest.rsplit_once('-') {
        Some((i, n)) if !i.is_empty() => (Some(i), n),
        Some(_) => return None,
        None => (None, rest),
    };
    let n: u32 = n.parse().ok()?;
    let key = L7Key::shard(cluster, infra, n);
    // Only the name's own spelling round-trips (no leading zeros, no sign).
    (key.vs == name).then_some(Key::L7(key))
}

/// Owned Ingress objects by tag: (kind, name) of each.
#[derive(Debug, Default)]
pub struct L7Index {
    by_tag: BTreeMap<L7Tag, BTreeSet<(&'static str, String)>>,
}

impl L7Index {
    pub fn insert(&mut self, tag: L7Tag, kind: &'static str, name: &str) {
        self.by_tag
            .entry(tag)
            .or_default()
            .insert((kind, name.to_owned()));
    }

    pub fn remove(&mut self, tag: &L7Tag, kind: &'static str, name: &str) {
        if let Some(set) = self.by_tag.get_mut(tag) {
            set.remove(&(kind, name.to_owned()));
            if set.is_empty() {
                self.by_tag.remove(tag);
            }
        }
    }

    /// The objects of Ingress key `key`: those named after its top virtual service, and those
    /// of every host of its AviInfraSetting that `host_key` places on it (with the host's
    /// DEDICATED VsVip, which is named, not marked).
    pub fn owned(
        &self,
        cluster: &ClusterName,
        key: &L7Key,
        host_key: impl Fn(Option<&str>, &str) -> Option<Key>,
    ) -> Vec<(&'static str, String)> {
        let this = Key::L7(key.clone());
        let mut out: BTreeSet<(&'static str, String)> = BTreeSet::new();
        self.collect(&L7Tag::Top(key.vs.clone()), &mut out);
        let hosts: Vec<&str> = match &key.unit {
            L7Unit::Dedicated(h) => vec![h.as_str()],
            L7Unit::Shard(_) => {
                let from = L7Tag::Host {
                    infra: key.infra.clone(),
                    host: String::new(),
                };
                self.by_tag
                    .range(from..)
                    .map_while(|(tag, _)| match tag {
                        L7Tag::Host { infra, host } if *infra == key.infra => Some(host.as_str()),
                        _ => None,
                    })
                    .collect()
            }
        };
        let infra = key.infra.as_deref();
        for h in hosts {
            if host_key(infra, h).as_ref() != Some(&this) {
                continue;
            }
            let tag = L7Tag::Host {
                infra: key.infra.clone(),
                host: h.to_owned(),
            };
            self.collect(&tag, &mut out);
            self.collect(&L7Tag::Top(cluster.l7_dedicated(infra, h)), &mut out);
        }
        out.into_iter().collect()
    }

    /// Every object name that is a top virtual service's (VsVips among them).
    pub fn top_names(&self) -> impl Iterator<Item = &str> {
        self.by_tag.keys().filter_map(|t| match t {
            L7Tag::Top(n) => Some(n.as_str()),
            L7Tag::Host { .. } => None,
        })
    }

    fn collect(&self, tag: &L7Tag, out: &mut BTreeSet<(&'static str, String)>) {
        if let Some(set) = self.by_tag.get(tag) {
            out.extend(set.iter().cloned());
        }
    }

    /// Every key some indexed object is on (shared parents by name, hosts through
    /// `host_key`), and the top names no key claims (a DEDICATED VsVip whose host has no other
    /// object left): those are deleted directly.
    pub fn keys_and_orphans(
        &self,
        cluster: &ClusterName,
        host_key: impl Fn(Option<&str>, &str) -> Option<Key>,
    ) -> (BTreeSet<Key>, Vec<(&'static str, String)>) {
        let mut keys = BTreeSet::new();
        let mut claimed: BTreeSet<String> = BTreeSet::new();
        for tag in self.by_tag.keys() {
            if let L7Tag::Host { infra, host } = tag {
                keys.extend(host_key(infra.as_deref(), host));
                claimed.insert(cluster.l7_dedicated(infra.as_deref(), host));
            }
        }
        let mut orphans = Vec::new();
        for (tag, objects) in &self.by_tag {
            let L7Tag::Top(name) = tag else { continue };
            match shared_key(cluster, name) {
                Some(k) => {
                    keys.insert(k);
                }
                None if claimed.contains(name) => {}
                None => orphans.extend(objects.iter().cloned()),
            }
        }
        (keys, orphans)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use avigw_shared::api::ShardSize;
    use avigw_shared::naming::shard_of;

    fn c() -> ClusterName {
        ClusterName::new("cluster").unwrap()
    }

    /// Placement as the snapshot does it, for a fixed shard size per AviInfraSetting.
    fn placement(size: ShardSize) -> impl Fn(Option<&str>, &str) -> Option<Key> {
        move |infra, host| {
            Some(Key::L7(match shard_of(host, size) {
                Some(n) => L7Key::shard(&c(), infra, n),
                None => L7Key::dedicated(&c(), infra, host),
            }))
        }
    }

    fn host_tag(infra: Option<&str>, host: &str) -> L7Tag {
        L7Tag::Host {
            infra: infra.map(str::to_owned),
            host: host.to_owned(),
        }
    }

    #[test]
    fn tags_from_names_and_markers() {
        let none = |_: MarkerKey| None;
        assert_eq!(
            L7Tag::of("cluster--Shared-L7-0", none),
            Some(L7Tag::Top("cluster--Shared-L7-0".into()))
        );
        assert_eq!(
            L7Tag::of("cluster--foo.com-L7-dedicated", none),
            Some(L7Tag::Top("cluster--foo.com-L7-dedicated".into()))
        );
        // An L4 VsVip (clustername only) and L4 objects are not Ingress objects.
        assert_eq!(L7Tag::of("cluster--default-gw", none), None);
        let gw = |k: MarkerKey| match k {
            MarkerKey::Namespace => Some("default"),
            MarkerKey::GatewayName => Some("gw"),
            MarkerKey::ServiceName => Some("svc"),
            _ => None,
        };
        assert_eq!(L7Tag::of("cluster--default-svc-gw-TCP-80", gw), None);
        let pool = |k: MarkerKey| match k {
            MarkerKey::Namespace => Some("default"),
            MarkerKey::Host => Some("foo.com"),
            MarkerKey::InfrasettingName => Some("is1"),
            MarkerKey::ServiceName => Some("svc1"),
            _ => None,
        };
        assert_eq!(
            L7Tag::of("cluster--is1-foo.com_foo-default-ing1", pool),
            Some(host_tag(Some("is1"), "foo.com"))
        );
    }

    #[test]
    fn shared_names_parse_back_to_their_keys() {
        let c = c();
        assert_eq!(
            shared_key(&c, "cluster--Shared-L7-3"),
            Some(Key::L7(L7Key::shard(&c, None, 3)))
        );
        assert_eq!(
            shared_key(&c, "cluster--Shared-L7-my-infra-0"),
            Some(Key::L7(L7Key::shard(&c, Some("my-infra"), 0)))
        );
        for bad in [
            "cluster--Shared-L7-",
            "cluster--Shared-L7-x",
            "cluster--Shared-L7--1",
            "cluster--Shared-L7-01",
            "other--Shared-L7-0",
            "cluster--foo.com-L7-dedicated",
        ] {
            assert_eq!(shared_key(&c, bad), None, "{bad}");
        }
    }

    fn index() -> L7Index {
        let mut i = L7Index::default();
        for (kind, name) in [
            ("virtualservice", "cluster--Shared-L7-0"),
            ("vsvip", "cluster--Shared-L7-0"),
            ("poolgroup", "cluster--Shared-L7-0"),
            ("virtualservice", "cluster--Shared-L7-1"),
        ] {
            i.insert(L7Tag::Top(name.into()), kind, name);
        }
        // foo.com → LARGE 0, bar.com → LARGE 1, abc.com → LARGE 4 (SPEC-ingress §3).
        i.insert(
            host_tag(None, "foo.com"),
            "pool",
            "cluster--foo.com_foo-default-ing1",
        );
        i.insert(host_tag(None, "bar.com"), "pool", "cluster--bar.com-default-ing1");
        i.insert(host_tag(None, "bar.com"), "virtualservice", "cluster--bar.com");
        i.insert(
            host_tag(Some("is1"), "foo.com"),
            "pool",
            "cluster--is1-foo.com-default-ing9",
        );
        i
    }

    #[test]
    fn a_shard_key_owns_its_top_objects_and_the_hosts_placed_on_it() {
        let c = c();
        let i = index();
        let owned = i.owned(&c, &L7Key::shard(&c, None, 0), placement(ShardSize::Large));
        assert_eq!(
            owned,
            [
                ("pool", "cluster--foo.com_foo-default-ing1".to_owned()),
                ("poolgroup", "cluster--Shared-L7-0".to_owned()),
                ("virtualservice", "cluster--Shared-L7-0".to_owned()),
                ("vsvip", "cluster--Shared-L7-0".to_owned()),
            ]
        );
        let owned = i.owned(&c, &L7Key::shard(&c, None, 1), placement(ShardSize::Large));
        assert_eq!(owned.len(), 3, "{owned:?}");
        // SMALL: every host of the global AviInfraSetting is on shard 0, none of is1's.
        let owned = i.owned(&c, &L7Key::shard(&c, None, 0), placement(ShardSize::Small));
        assert_eq!(owned.len(), 6, "{owned:?}");
        assert!(!owned.iter().any(|(_, n)| n.contains("is1")));
    }

    #[test]
    fn a_dedicated_key_owns_its_host_and_its_vsvip() {
        let c = c();
        let mut i = index();
        let vs = c.l7_dedicated(None, "bar.com");
        i.insert(L7Tag::Top(vs.clone()), "vsvip", &vs);
        let key = L7Key::dedicated(&c, None, "bar.com");
        let owned = i.owned(&c, &key, placement(ShardSize::Dedicated));
        assert_eq!(
            owned,
            [
                ("pool", "cluster--bar.com-default-ing1".to_owned()),
                ("virtualservice", "cluster--bar.com".to_owned()),
                ("vsvip", vs.clone()),
            ]
        );
        // Back to LARGE: the shard key the host is on now takes the DEDICATED VsVip with it.
        let owned = i.owned(&c, &L7Key::shard(&c, None, 1), placement(ShardSize::Large));
        assert!(owned.contains(&("vsvip", vs)), "{owned:?}");
    }

    #[test]
    fn keys_of_what_avi_holds_and_unclaimed_vsvips() {
        let c = c();
        let mut i = index();
        i.insert(
            L7Tag::Top("cluster--gone.com-L7-dedicated".into()),
            "vsvip",
            "cluster--gone.com-L7-dedicated",
        );
        let bar = c.l7_dedicated(None, "bar.com");
        i.insert(L7Tag::Top(bar.clone()), "vsvip", &bar);
        let (keys, orphans) = i.keys_and_orphans(&c, placement(ShardSize::Large));
        let want: BTreeSet<Key> = [
            Key::L7(L7Key::shard(&c, None, 0)),
            Key::L7(L7Key::shard(&c, None, 1)),
            Key::L7(L7Key::shard(&c, Some("is1"), 0)),
        ]
        .into();
        assert_eq!(keys, want);
        assert_eq!(orphans, [("vsvip", "cluster--gone.com-L7-dedicated".to_owned())]);
    }

    #[test]
    fn removing_the_last_object_of_a_tag_forgets_it() {
        let c = c();
        let mut i = index();
        i.remove(
            &host_tag(Some("is1"), "foo.com"),
            "pool",
            "cluster--is1-foo.com-default-ing9",
        );
        let (keys, _) = i.keys_and_orphans(&c, placement(ShardSize::Large));
        assert!(!keys.contains(&Key::L7(L7Key::shard(&c, Some("is1"), 0))));
    }
}
