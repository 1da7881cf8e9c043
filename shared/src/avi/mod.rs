//! Typed Avi objects as avigw sends them (SPEC §3, §6; SPEC-ingress §7): VirtualService,
//! VsVip, Pool and L4PolicySet, and for Ingresses PoolGroup, VSDataScriptSet, HTTPPolicySet
//! and SSLKeyAndCertificate, with the nested types they carry. Field names are the
//! controller's own (as in the recorded traffic); `None` and empty optional lists are left out
//! of the JSON. The types also read the controller's answers: unknown fields are ignored and
//! server-filled bookkeeping (`uuid`, `url`, `_last_modified`) has a place, absent from desired
//! objects. A private key is sent to Avi but never shown: see [`PrivateKeyPem`].

mod common;
mod httppolicyset;
mod key_objects;
mod l4policyset;
mod pool;
mod poolgroup;
mod refs;
mod sslkeyandcertificate;
mod virtualservice;
mod vsdatascriptset;
mod vsvip;

pub use common::{IpAddrObj, IpPrefix, IpType};
pub use httppolicyset::{
    BEGINS_WITH, EQUALS, HDR_EQUALS, HTTP_REDIRECT_STATUS_CODE_302, HTTP_SWITCHING_SELECT_POOLGROUP,
    HostHdrMatch, HttpPolicySet, HttpRedirectAction, HttpRequestPolicy, HttpRequestRule, HttpSwitchingAction,
    IS_IN, MatchTarget, PathMatch, PortMatch, SENSITIVE,
};
pub use key_objects::{AviObjectRef, AviObjects};
pub use l4policyset::{
    L4ConnectionPolicy, L4PolicySet, L4Rule, L4RuleAction, L4RuleActionSelectPool, L4RuleMatch,
    L4RulePortMatch, L4RuleProtocolMatch,
};
pub use pool::{PlacementNetwork, Pool, Server};
pub use poolgroup::{PoolGroup, PoolGroupMember};
pub use refs::{RefTarget, kind, name_ref, parse_ref, uuid_ref};
pub use sslkeyandcertificate::{
    PrivateKeyPem, REDACTED, SSL_CERTIFICATE_TYPE_VIRTUALSERVICE, SslCertificate, SslKeyAndCertificate,
};
pub use virtualservice::{
    HttpPolicies, L4Policies, VS_TYPE_NORMAL, VS_TYPE_VH_CHILD, VS_TYPE_VH_PARENT, VirtualService,
    VsDataScripts, VsService,
};
pub use vsdatascriptset::{DATASCRIPT_EVT_HTTP_REQ, VsDataScript, VsDataScriptSet};
pub use vsvip::{DnsInfo, IpamNetworkSubnet, Vip, VsVip};
