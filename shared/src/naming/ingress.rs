//! The Avi names of Ingress objects (SPEC-ingress §3), AKO's formulas so that a cluster moving
//! from AKO keeps its names, and the host → shard function. `infra` is the AviInfraSetting of
//! the Ingress's class: when present it adds `<infra>-` after the cluster prefix.

use super::ClusterName;
use crate::api::ShardSize;

/// Suffix of every DEDICATED virtual service and pool name.
const DEDICATED_SUFFIX: &str = "-L7-dedicated";

/// FNV-1a, 32 bits: offset basis `0x811c9dc5`, prime `0x01000193`, xor then multiply.
pub fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// The shared parent a host lands on: `fnv1a32(host) & (n − 1)`; `None` for DEDICATED (the
/// host gets its own virtual service).
pub fn shard_of(host: &str, size: ShardSize) -> Option<u32> {
    let n = size.shard_count();
    (n > 0).then(|| fnv1a32(host.as_bytes()) & (n - 1))
}

/// The path as it appears in names: every `/` replaced by `_`.
pub fn path_part(path: &str) -> String {
    path.replace('/', "_")
}

/// The pool's `priority_label` on a shared parent's PoolGroup: lowercase host + path.
pub fn priority_label(host: &str, path: &str) -> String {
    let mut s = String::with_capacity(host.len() + path.len());
    s.push_str(host);
    s.push_str(path);
    s.make_ascii_lowercase();
    s
}

/// A rule of an HTTPPolicySet: `<set>-<index>`.
pub fn policy_rule_name(set: &str, index: usize) -> String {
    format!("{set}-{index}")
}

impl ClusterName {
    /// `<cluster>--[<infra>-]`, the start of every Ingress object name.
    fn l7_prefix(&self, infra: Option<&str>, extra: usize) -> String {
        let mut s = String::with_capacity(self.as_str().len() + 3 + infra.map_or(0, str::len) + extra);
        s.push_str(self.as_str());
        s.push_str("--");
        if let Some(i) = infra {
            s.push_str(i);
            s.push('-');
        }
        s
    }

    /// Shared parent VS, its VsVip, PoolGroup, VSDataScriptSet and redirect HTTPPolicySet:
    /// `<cluster>--Shared-L7-[<infra>-]<shard>`.
    pub fn l7_shared(&self, infra: Option<&str>, shard: u32) -> String {
        let mut s = format!("{}--Shared-L7-", self.as_str());
        if let Some(i) = infra {
            s.push_str(i);
            s.push('-');
        }
        s.push_str(&shard.to_string());
        s
    }

    /// Pool of an insecure entry on a shared parent: `<cluster>--[<infra>-]<host><path'>-<ns>-<ingress>`.
    pub fn l7_insecure_pool(
        &self,
        infra: Option<&str>,
        host: &str,
        path: &str,
        namespace: &str,
        ingress: &str,
    ) -> String {
        let mut s = self.l7_prefix(
            infra,
            host.len() + path.len() + namespace.len() + ingress.len() + 2,
        );
        s.push_str(host);
        s.push_str(&path_part(path));
        s.push('-');
        s.push_str(namespace);
        s.push('-');
        s.push_str(ingress);
        s
    }

    /// SNI child VS of a secure host, and its SSLKeyAndCertificate (also the DEDICATED VS's):
    /// `<cluster>--[<infra>-]<host>`.
    pub fn l7_sni(&self, infra: Option<&str>, host: &str) -> String {
        let mut s = self.l7_prefix(infra, host.len());
        s.push_str(host);
        s
    }

    /// Pool and PoolGroup of a secure entry: `<cluster>--[<infra>-]<ns>-<host><path'>-<ingress>`.
    pub fn l7_sni_pool(
        &self,
        infra: Option<&str>,
        namespace: &str,
        host: &str,
        path: &str,
        ingress: &str,
    ) -> String {
        let mut s = self.l7_prefix(
            infra,
            host.len() + path.len() + namespace.len() + ingress.len() + 2,
        );
        s.push_str(namespace);
        s.push('-');
        s.push_str(host);
        s.push_str(&path_part(path));
        s.push('-');
        s.push_str(ingress);
        s
    }

    /// Switching HTTPPolicySet of a host (SNI child or DEDICATED VS): `<cluster>--[<infra>-]<ns>-<host>`.
    pub fn l7_switching_set(&self, infra: Option<&str>, namespace: &str, host: &str) -> String {
        let mut s = self.l7_prefix(infra, namespace.len() + host.len() + 1);
        s.push_str(namespace);
        s.push('-');
        s.push_str(host);
        s
    }

    /// DEDICATED VS, its VsVip and its redirect HTTPPolicySet: `<cluster>--[<infra>-]<host>-L7-dedicated`.
    pub fn l7_dedicated(&self, infra: Option<&str>, host: &str) -> String {
        let mut s = self.l7_sni(infra, host);
        s.push_str(DEDICATED_SUFFIX);
        s
    }

    /// Pool and PoolGroup of a DEDICATED entry: the SNI pool name plus `-L7-dedicated`.
    pub fn l7_dedicated_pool(
        &self,
        infra: Option<&str>,
        namespace: &str,
        host: &str,
        path: &str,
        ingress: &str,
    ) -> String {
        let mut s = self.l7_sni_pool(infra, namespace, host, path, ingress);
        s.push_str(DEDICATED_SUFFIX);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c() -> ClusterName {
        ClusterName::new("cluster").unwrap()
    }

    #[test]
    fn fnv_matches_the_spec_examples() {
        assert_eq!(fnv1a32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a32(b"foo.com"), 0x41ad_0598);
        assert_eq!(fnv1a32(b"bar.com"), 0x7200_4851);
        assert_eq!(fnv1a32(b"abc.com"), 0x2866_6be4);
        assert_eq!(shard_of("foo.com", ShardSize::Large), Some(0));
        assert_eq!(shard_of("bar.com", ShardSize::Large), Some(1));
        assert_eq!(shard_of("abc.com", ShardSize::Large), Some(4));
        assert_eq!(shard_of("abc.com", ShardSize::Medium), Some(0));
        assert_eq!(shard_of("bar.com", ShardSize::Medium), Some(1));
        for h in ["foo.com", "bar.com", "abc.com", "x"] {
            assert_eq!(shard_of(h, ShardSize::Small), Some(0));
            assert_eq!(shard_of(h, ShardSize::Dedicated), None);
        }
    }

    #[test]
    fn name_table_of_the_spec() {
        let c = c();
        assert_eq!(c.l7_shared(None, 0), "cluster--Shared-L7-0");
        assert_eq!(c.l7_shared(Some("is1"), 0), "cluster--Shared-L7-is1-0");
        assert_eq!(c.l7_shared(None, 7), "cluster--Shared-L7-7");
        assert_eq!(
            c.l7_insecure_pool(None, "foo.com", "/foo", "default", "ing1"),
            "cluster--foo.com_foo-default-ing1"
        );
        assert_eq!(
            c.l7_insecure_pool(Some("is1"), "foo.com", "/foo", "default", "ing1"),
            "cluster--is1-foo.com_foo-default-ing1"
        );
        assert_eq!(priority_label("foo.com", "/foo"), "foo.com/foo");
        assert_eq!(priority_label("Foo.com", "/Bar"), "foo.com/bar");
        assert_eq!(c.l7_sni(None, "noo.com"), "cluster--noo.com");
        assert_eq!(c.l7_sni(Some("is1"), "noo.com"), "cluster--is1-noo.com");
        assert_eq!(
            c.l7_sni_pool(None, "default", "noo.com", "/bar", "ing2"),
            "cluster--default-noo.com_bar-ing2"
        );
        assert_eq!(
            c.l7_sni_pool(None, "default", "noo.com", "/bar/v2", "ing2"),
            "cluster--default-noo.com_bar_v2-ing2"
        );
        assert_eq!(
            c.l7_switching_set(None, "default", "noo.com"),
            "cluster--default-noo.com"
        );
        assert_eq!(
            policy_rule_name(&c.l7_switching_set(None, "default", "noo.com"), 0),
            "cluster--default-noo.com-0"
        );
        assert_eq!(c.l7_dedicated(None, "foo.com"), "cluster--foo.com-L7-dedicated");
        assert_eq!(
            c.l7_dedicated(Some("is1"), "foo.com"),
            "cluster--is1-foo.com-L7-dedicated"
        );
        assert_eq!(
            c.l7_dedicated_pool(None, "default", "foo.com", "/foo", "ing1"),
            "cluster--default-foo.com_foo-ing1-L7-dedicated"
        );
    }

    #[test]
    fn empty_path_leaves_no_trace() {
        let c = c();
        assert_eq!(
            c.l7_insecure_pool(None, "foo.com", "", "default", "ing1"),
            "cluster--foo.com-default-ing1"
        );
        assert_eq!(priority_label("foo.com", ""), "foo.com");
        assert_eq!(path_part("/"), "_");
        assert_eq!(path_part("/a/b/"), "_a_b_");
    }
}
