//! The desired Avi objects of one reconcile key, and the order they are written in.

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};

use super::{
    HttpPolicySet, L4PolicySet, Pool, PoolGroup, SslKeyAndCertificate, VirtualService, VsDataScriptSet,
    VsVip, kind,
};

/// The desired Avi objects of one key. All empty means the key owns nothing: whatever it had
/// is to be deleted. [`AviObjects::create_order`] is the order to create and update them in
/// (delete in reverse):
/// - an L4 key (Gateway, LoadBalancer Service; SPEC §5): VsVip → Pools → L4PolicySet →
///   VirtualService;
/// - an Ingress key (SPEC-ingress §6): SSLKeyAndCertificates → Pools → PoolGroups →
///   VSDataScriptSet → HTTPPolicySets → VsVip → the parent or DEDICATED VirtualService → SNI
///   child VirtualServices.
///
/// The JSON lists the kinds in that same order.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct AviObjects {
    #[serde(default)]
    pub sslkeyandcertificates: Vec<SslKeyAndCertificate>,
    #[serde(default)]
    pub vsvip: Option<VsVip>,
    #[serde(default)]
    pub pools: Vec<Pool>,
    /// The shared parent's PoolGroup first, then the hosts' ones.
    #[serde(default)]
    pub poolgroups: Vec<PoolGroup>,
    #[serde(default)]
    pub vsdatascriptset: Option<VsDataScriptSet>,
    /// A redirect set first (when there is one), then the hosts' switching sets.
    #[serde(default)]
    pub httppolicysets: Vec<HttpPolicySet>,
    #[serde(default)]
    pub l4policyset: Option<L4PolicySet>,
    /// The key's top virtual service: L4, shared parent or DEDICATED.
    #[serde(default)]
    pub virtualservice: Option<VirtualService>,
    /// SNI children of the shared parent, by host.
    #[serde(default)]
    pub child_virtualservices: Vec<VirtualService>,
}

/// One object of a key, borrowed: what a generic sync needs (kind, name, JSON).
#[derive(Debug, Clone, Copy)]
pub enum AviObjectRef<'a> {
    SslKeyAndCertificate(&'a SslKeyAndCertificate),
    VsVip(&'a VsVip),
    Pool(&'a Pool),
    PoolGroup(&'a PoolGroup),
    VsDataScriptSet(&'a VsDataScriptSet),
    HttpPolicySet(&'a HttpPolicySet),
    L4PolicySet(&'a L4PolicySet),
    VirtualService(&'a VirtualService),
}

impl<'a> AviObjectRef<'a> {
    /// The Avi kind (URL path segment).
    pub fn kind(&self) -> &'static str {
        match self {
            AviObjectRef::SslKeyAndCertificate(_) => kind::SSLKEYANDCERTIFICATE,
            AviObjectRef::VsVip(_) => kind::VSVIP,
            AviObjectRef::Pool(_) => kind::POOL,
            AviObjectRef::PoolGroup(_) => kind::POOLGROUP,
            AviObjectRef::VsDataScriptSet(_) => kind::VSDATASCRIPTSET,
            AviObjectRef::HttpPolicySet(_) => kind::HTTPPOLICYSET,
            AviObjectRef::L4PolicySet(_) => kind::L4POLICYSET,
            AviObjectRef::VirtualService(_) => kind::VIRTUALSERVICE,
        }
    }

    pub fn name(&self) -> &'a str {
        match *self {
            AviObjectRef::SslKeyAndCertificate(o) => &o.name,
            AviObjectRef::VsVip(o) => &o.name,
            AviObjectRef::Pool(o) => &o.name,
            AviObjectRef::PoolGroup(o) => &o.name,
            AviObjectRef::VsDataScriptSet(o) => &o.name,
            AviObjectRef::HttpPolicySet(o) => &o.name,
            AviObjectRef::L4PolicySet(o) => &o.name,
            AviObjectRef::VirtualService(o) => &o.name,
        }
    }
}

impl Serialize for AviObjectRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AviObjectRef::SslKeyAndCertificate(o) => o.serialize(s),
            AviObjectRef::VsVip(o) => o.serialize(s),
            AviObjectRef::Pool(o) => o.serialize(s),
            AviObjectRef::PoolGroup(o) => o.serialize(s),
            AviObjectRef::VsDataScriptSet(o) => o.serialize(s),
            AviObjectRef::HttpPolicySet(o) => o.serialize(s),
            AviObjectRef::L4PolicySet(o) => o.serialize(s),
            AviObjectRef::VirtualService(o) => o.serialize(s),
        }
    }
}

/// One JSON field of [`AviObjects`]: its name and whether it holds anything.
enum Field<'a> {
    Ssl(&'a [SslKeyAndCertificate]),
    VsVip(Option<&'a VsVip>),
    Pools(&'a [Pool]),
    PoolGroups(&'a [PoolGroup]),
    DataScript(Option<&'a VsDataScriptSet>),
    HttpPolicySets(&'a [HttpPolicySet]),
    L4PolicySet(Option<&'a L4PolicySet>),
    VirtualService(Option<&'a VirtualService>),
    Children(&'a [VirtualService]),
}

impl AviObjects {
    pub fn is_empty(&self) -> bool {
        self.sslkeyandcertificates.is_empty()
            && self.vsvip.is_none()
            && self.pools.is_empty()
            && self.poolgroups.is_empty()
            && self.vsdatascriptset.is_none()
            && self.httppolicysets.is_empty()
            && self.l4policyset.is_none()
            && self.virtualservice.is_none()
            && self.child_virtualservices.is_empty()
    }

    /// Whether these are an Ingress key's objects (they hold a kind only Ingresses use), which
    /// puts the VsVip after the policies instead of first.
    fn is_l7(&self) -> bool {
        !self.sslkeyandcertificates.is_empty()
            || !self.poolgroups.is_empty()
            || self.vsdatascriptset.is_some()
            || !self.httppolicysets.is_empty()
            || !self.child_virtualservices.is_empty()
    }

    fn fields(&self) -> [Field<'_>; 9] {
        let ssl = Field::Ssl(&self.sslkeyandcertificates);
        let vsvip = Field::VsVip(self.vsvip.as_ref());
        let pools = Field::Pools(&self.pools);
        let pgs = Field::PoolGroups(&self.poolgroups);
        let ds = Field::DataScript(self.vsdatascriptset.as_ref());
        let https = Field::HttpPolicySets(&self.httppolicysets);
        let l4 = Field::L4PolicySet(self.l4policyset.as_ref());
        let vs = Field::VirtualService(self.virtualservice.as_ref());
        let children = Field::Children(&self.child_virtualservices);
        if self.is_l7() {
            [ssl, pools, pgs, ds, https, l4, vsvip, vs, children]
        } else {
            [vsvip, pools, l4, vs, ssl, pgs, ds, https, children]
        }
    }

    /// Every object in the order to create and update them in; delete in reverse.
    pub fn create_order(&self) -> Vec<AviObjectRef<'_>> {
        let mut out = Vec::with_capacity(
            4 + self.sslkeyandcertificates.len()
                + self.pools.len()
                + self.poolgroups.len()
                + self.httppolicysets.len()
                + self.child_virtualservices.len(),
        );
        for f in self.fields() {
            match f {
                Field::Ssl(v) => out.extend(v.iter().map(AviObjectRef::SslKeyAndCertificate)),
                Field::VsVip(v) => out.extend(v.map(AviObjectRef::VsVip)),
                Field::Pools(v) => out.extend(v.iter().map(AviObjectRef::Pool)),
                Field::PoolGroups(v) => out.extend(v.iter().map(AviObjectRef::PoolGroup)),
                Field::DataScript(v) => out.extend(v.map(AviObjectRef::VsDataScriptSet)),
                Field::HttpPolicySets(v) => out.extend(v.iter().map(AviObjectRef::HttpPolicySet)),
                Field::L4PolicySet(v) => out.extend(v.map(AviObjectRef::L4PolicySet)),
                Field::VirtualService(v) => out.extend(v.map(AviObjectRef::VirtualService)),
                Field::Children(v) => out.extend(v.iter().map(AviObjectRef::VirtualService)),
            }
        }
        out
    }

    /// Every object's `(kind, name)` in creation order.
    pub fn names(&self) -> Vec<(&'static str, &str)> {
        self.create_order()
            .into_iter()
            .map(|o| (o.kind(), o.name()))
            .collect()
    }

    /// The same objects with every private key replaced by `<redacted>`, for display (`plan`,
    /// golden files, logs).
    pub fn redacted(&self) -> AviObjects {
        let mut out = self.clone();
        for c in &mut out.sslkeyandcertificates {
            *c = c.redacted();
        }
        out
    }
}

impl Serialize for AviObjects {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        for f in self.fields() {
            match f {
                Field::Ssl(v) if !v.is_empty() => m.serialize_entry("sslkeyandcertificates", v)?,
                Field::VsVip(Some(v)) => m.serialize_entry("vsvip", v)?,
                Field::Pools(v) if !v.is_empty() => m.serialize_entry("pools", v)?,
                Field::PoolGroups(v) if !v.is_empty() => m.serialize_entry("poolgroups", v)?,
                Field::DataScript(Some(v)) => m.serialize_entry("vsdatascriptset", v)?,
                Field::HttpPolicySets(v) if !v.is_empty() => m.serialize_entry("httppolicysets", v)?,
                Field::L4PolicySet(Some(v)) => m.serialize_entry("l4policyset", v)?,
                Field::VirtualService(Some(v)) => m.serialize_entry("virtualservice", v)?,
                Field::Children(v) if !v.is_empty() => m.serialize_entry("child_virtualservices", v)?,
                _ => {}
            }
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn from(v: serde_json::Value) -> AviObjects {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn l4_keys_keep_their_order_and_json() {
        let o = from(json!({
            "vsvip": {"name": "v", "vip": []},
            "pools": [{"name": "p1", "servers": []}, {"name": "p2", "servers": []}],
            "l4policyset": {"name": "l"},
            "virtualservice": {"name": "v", "services": [{"port": 80}]},
        }));
        assert_eq!(
            o.names(),
            [
                ("vsvip", "v"),
                ("pool", "p1"),
                ("pool", "p2"),
                ("l4policyset", "l"),
                ("virtualservice", "v")
            ]
        );
        let text = serde_json::to_string(&o).unwrap();
        let keys: Vec<&str> = ["\"vsvip\"", "\"pools\"", "\"l4policyset\"", "\"virtualservice\""]
            .into_iter()
            .filter(|k| text.contains(k))
            .collect();
        assert_eq!(keys.len(), 4);
        assert!(text.find("\"vsvip\"") < text.find("\"pools\""), "{text}");
        assert_eq!(from(serde_json::from_str(&text).unwrap()), o);
    }

    #[test]
    fn l7_keys_create_in_spec_order() {
        let o = from(json!({
            "child_virtualservices": [{"name": "c--noo.com"}],
            "virtualservice": {"name": "c--Shared-L7-0"},
            "vsvip": {"name": "c--Shared-L7-0", "vip": []},
            "httppolicysets": [{"name": "c--Shared-L7-0"}, {"name": "c--default-noo.com"}],
            "vsdatascriptset": {"name": "c--Shared-L7-0"},
            "poolgroups": [{"name": "c--Shared-L7-0"}],
            "pools": [{"name": "p"}],
            "sslkeyandcertificates": [{"name": "c--noo.com", "key": "k"}],
        }));
        let kinds: Vec<&str> = o.names().iter().map(|(k, _)| *k).collect();
        assert_eq!(
            kinds,
            [
                "sslkeyandcertificate",
                "pool",
                "poolgroup",
                "vsdatascriptset",
                "httppolicyset",
                "httppolicyset",
                "vsvip",
                "virtualservice",
                "virtualservice"
            ]
        );
        // The JSON lists the kinds in the same order.
        let text = serde_json::to_string(&o).unwrap();
        let at = |k: &str| text.find(&format!("\"{k}\":")).unwrap();
        let order = [
            "sslkeyandcertificates",
            "pools",
            "poolgroups",
            "vsdatascriptset",
            "httppolicysets",
            "vsvip",
            "virtualservice",
            "child_virtualservices",
        ];
        assert!(order.windows(2).all(|w| at(w[0]) < at(w[1])), "{text}");
        assert!(text.contains(r#""key":"k""#));
        assert!(
            o.redacted()
                .create_order()
                .iter()
                .all(|r| !serde_json::to_string(r).unwrap().contains(r#""key":"k""#))
        );
        assert_eq!(
            o.redacted().sslkeyandcertificates[0]
                .key
                .as_ref()
                .unwrap()
                .expose(),
            REDACTED_TEXT
        );
        assert!(!o.is_empty() && AviObjects::default().is_empty());
    }

    const REDACTED_TEXT: &str = super::super::REDACTED;
}
