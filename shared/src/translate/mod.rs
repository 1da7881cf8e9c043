//! The pure Kubernetes → Avi translation (SPEC §3, §4; SPEC-ingress §4, §5).
//!
//! Feed a [`Snapshot`] with objects ([`Snapshot::upsert`] / [`Snapshot::delete`] return the
//! [`Key`]s each change affects), then translate one key with [`translate_key`] or all with
//! [`translate_all`]. A key's [`KeyPlan`] holds its desired Avi objects and the status the
//! Kubernetes objects get, as plain deterministic data: the same snapshot and [`Context`]
//! always give byte-identical JSON.
//!
//! Ingresses need a snapshot made with [`Snapshot::for_config`]. Their keys are top virtual
//! services ([`L7Key`]); [`Snapshot::upsert_detailed`] also says which keys changed only inside
//! some hosts ([`translate_l7_hosts`] re-translates those), which Secrets to read, and which
//! kept parents to update where they stand. [`KeyPlan::ingresses`] tells each Ingress what it
//! serves on a key and its findings; [`ingress_report`] and [`ingress_status`] give one Ingress
//! across keys. The Ingress decisions where SPEC-ingress is silent are in docs/decisions.md.
//!
//! Decisions where SPEC is silent (what an AKO user would expect, written down here):
//! - Translation applies the admission defaults ([`crate::rules::default_gateway`]) and judges
//!   each object as a create with [`crate::rules::judge`], the snapshot as its view of the
//!   cluster: GW-VIP-IMMUTABLE needs the stored object and is left to the reconciler (Avi's 400
//!   becomes [`AviOutcome::InvalidAddress`]).
//! - [`Ownership`]: a Gateway whose class is missing is `Unclaimed` (status
//!   `InvalidGatewayClass` is written); one of another controller's class is `NotOurs`, with an
//!   `UnidentifiedController` status to write only if it still carries avigw's finalizer.
//!   Objects being deleted (deletionTimestamp set) translate to nothing.
//! - A Gateway that is not scheduled gets `Ready=False` with the same reason as `Scheduled`.
//!   A Gateway whose listeners are all non-L4 is `Scheduled=False, InvalidListener`.
//! - An Avi name over 255 characters: reason `NameTooLong` — on `Scheduled` when the virtual
//!   service name is too long (no objects), on the listener's `Ready` when only its pool name
//!   is (that pool is left out, like a port conflict). For a LoadBalancer Service any such name
//!   keeps all its objects off Avi, with a [`Problem`].
//! - `UnsupportedProtocol` goes on the listeners with the Service port's number but another
//!   protocol; a port no listener has at all is only a note (and SVC-PORT-NO-LISTENER).
//! - Listener `Ready` is `Pending` until Avi places the virtual service (see
//!   [`render_gateway_status`]); `PortConflict`/`UnsupportedProtocol` appear only when true.
//! - Servers are sorted by address then port and merged when repeated (enabled if any copy
//!   is). NodePort with `externalTrafficPolicy: Local` lists nodes hosting any endpoint,
//!   enabled when one of them is serving. NodePortLocal servers are enabled when the pod is
//!   Ready (a pod without status, as in a manifest, counts as ready); an annotation entry
//!   without `protocols` is TCP.
//! - external-dns's annotation may list several comma-separated names; each goes into
//!   `dns_info` and into the Service's ingress (one entry per hostname, same VIP).
//! - A VIP network's `v6cidr` becomes `ipam_network_subnet.subnet6`; `enablePublicIP` sets
//!   `auto_allocate_floating_ip`. Without any VIP network the cloud's IPAM picks one.
//! - Every Service create, update or delete names its own Service key (it may have stopped
//!   being a LoadBalancer of ours); EndpointSlice, Pod and Namespace changes name a Service
//!   key only for Services of type LoadBalancer.

mod changes;
mod context;
mod fqdn;
mod gateway;
mod ingress;
mod keys;
mod manifest;
mod namespace;
mod object;
mod objects;
mod placement;
mod plan;
mod proto;
mod rules_view;
mod secret;
mod servers;
mod service;
mod snapshot;
mod snapshot_l7;
mod status;
mod status_memo;
mod views;

use std::collections::BTreeMap;

pub use changes::Changes;
pub use context::{Context, ControllerFacts};
pub use ingress::{
    IngressReport, REASON_BACKEND_NOT_FOUND, REASON_INFRA_SETTING_NOT_READY, REASON_INVALID_INGRESS_CLASS,
    REASON_MULTIPLE_DEFAULT_CLASSES, REASON_NAME_CONFLICT, REASON_SECRET_INVALID, REASON_SECRET_NOT_FOUND,
    ingress_report, ingress_status, translate_l7_hosts,
};
pub use keys::{Key, L7Key, L7Unit, ObjKey};
pub use manifest::{Document, Documents, ManifestError, Manifests, documents, parse_manifests};
pub use object::{Object, ObjectKind};
pub use plan::{IngressOnKey, KeyPlan, Ownership, Problem};
pub use proto::Proto;
pub use secret::{SECRET_CERT, SECRET_KEY};
pub use snapshot::{Affected, Snapshot};
pub use status::*;
pub use status_memo::GatewayStatusMemo;
pub use views::LABEL_SERVICE_NAME;

/// Translates one key from the snapshot. Reads only what the key uses.
pub fn translate_key(ctx: &Context, snap: &Snapshot, key: &Key) -> KeyPlan {
    match key {
        Key::Gateway(k) => gateway::translate_gateway(ctx, snap, k),
        Key::Service(k) => service::translate_service(ctx, snap, k),
        Key::L7(k) => ingress::translate_l7(ctx, snap, k),
    }
}

/// Translates every key of the snapshot.
pub fn translate_all(ctx: &Context, snap: &Snapshot) -> BTreeMap<Key, KeyPlan> {
    snap.keys()
        .into_iter()
        .map(|k| {
            let plan = translate_key(ctx, snap, &k);
            (k, plan)
        })
        .collect()
}
