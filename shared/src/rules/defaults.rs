use std::collections::BTreeMap;

use crate::api::{
    ADDRESS_TYPE_IP, Gateway, LABEL_GATEWAY_NAME, LABEL_GATEWAY_NAMESPACE, LabelSelector, SCHEMA_PROTOCOLS,
};

/// The admission defaults of SPEC §2 (idempotent): a listener whose selector is entirely empty
/// gets both gateway labels with the Gateway's own name and namespace; a missing address type
/// becomes `IPAddress`; a protocol in the wrong case is upper-cased. Returns the defaulted copy.
pub fn default_gateway(gw: &Gateway) -> Gateway {
    let mut out = gw.clone();
    let namespace = gw.metadata.namespace.clone().unwrap_or_default();
    let name = gw.metadata.name.clone().unwrap_or_default();
    for l in &mut out.spec.listeners {
        let empty = l
            .routes
            .selector
            .as_ref()
            .is_none_or(|s| s.match_labels.is_empty() && s.match_expressions.is_empty());
        // Without a name (generateName) there is nothing correct to write; the label rules
        // will report the gap instead.
        if empty && !name.is_empty() && !namespace.is_empty() {
            let mut labels = BTreeMap::new();
            labels.insert(LABEL_GATEWAY_NAME.to_owned(), name.clone());
            labels.insert(LABEL_GATEWAY_NAMESPACE.to_owned(), namespace.clone());
            l.routes.selector = Some(LabelSelector {
                match_labels: labels,
                match_expressions: Vec::new(),
            });
        }
        let upper = l.protocol.to_ascii_uppercase();
        if upper != l.protocol && SCHEMA_PROTOCOLS.contains(&upper.as_str()) {
            l.protocol = upper;
        }
    }
    for a in &mut out.spec.addresses {
        if a.type_.is_none() {
            a.type_ = Some(ADDRESS_TYPE_IP.to_owned());
        }
    }
    out
}
