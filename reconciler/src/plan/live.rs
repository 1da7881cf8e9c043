//! Reads for `plan --diff`, and only reads: what the controller holds (GETs only) and, with
//! `--from-cluster`, the kinds the reconciler watches from the kubeconfig's cluster.

use avigw_shared::api::{AviInfraSetting, Gateway, GatewayClass};
use avigw_shared::config::{Config, ServiceType};
use avigw_shared::translate::Object;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::{Ingress, IngressClass};
use kube::api::ListParams;
use kube::{Api, Client, Resource};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::diff::Live;
use crate::avi::{AviClient, ListQuery, Result};
use crate::run::ownership::CREATED_BY_KINDS;

/// Every object under the cluster's prefix, of any creator, and every object of the
/// `adoptFrom` creators, refs read with their names.
pub async fn read_avi(avi: &AviClient, config: &Config) -> Result<Live> {
    let tenant = Some(config.tenant.as_str());
    let mut live = Live::default();
    let mut keep = |k: &str, items: Vec<Value>| {
        for v in items {
            if let Some(n) = v.get("name").and_then(Value::as_str) {
                live.objects.insert((k.to_owned(), n.to_owned()), v.clone());
            }
        }
    };
    for k in std::iter::once(avigw_shared::avi::kind::VSVIP).chain(CREATED_BY_KINDS) {
        let q = ListQuery {
            include_name: true,
            ..ListQuery::name_prefix(config.cluster_name.prefix())
        };
        keep(k, avi.list(k, &q, tenant).await?);
        for creator in &config.adopt_from {
            if k == avigw_shared::avi::kind::VSVIP {
                continue;
            }
            let q = ListQuery {
                include_name: true,
                ..ListQuery::created_by(creator.clone())
            };
            keep(k, avi.list(k, &q, tenant).await?);
        }
    }
    Ok(live)
}

/// The objects the reconciler watches, as the kubeconfig's cluster holds them now. A kind the
/// apiserver does not serve (no Gateway CRDs) has no objects.
pub async fn read_cluster(client: &Client, config: &Config) -> Result<Vec<Object>, kube::Error> {
    let mut out = Vec::new();
    if config.services_api {
        out.extend(
            list::<GatewayClass>(client, &ListParams::default())
                .await?
                .into_iter()
                .map(Object::GatewayClass),
        );
        out.extend(
            list::<Gateway>(client, &ListParams::default())
                .await?
                .into_iter()
                .map(Object::Gateway),
        );
    }
    out.extend(
        list::<Service>(client, &ListParams::default())
            .await?
            .into_iter()
            .map(Object::Service),
    );
    out.extend(
        list::<EndpointSlice>(client, &ListParams::default())
            .await?
            .into_iter()
            .map(Object::EndpointSlice),
    );
    out.extend(
        list::<Namespace>(client, &ListParams::default())
            .await?
            .into_iter()
            .map(Object::Namespace),
    );
    out.extend(
        list::<AviInfraSetting>(client, &ListParams::default())
            .await?
            .into_iter()
            .map(Object::AviInfraSetting),
    );
    out.extend(
        list::<Ingress>(client, &ListParams::default())
            .await?
            .into_iter()
            .map(Object::Ingress),
    );
    out.extend(
        list::<IngressClass>(client, &ListParams::default())
            .await?
            .into_iter()
            .map(Object::IngressClass),
    );
    // Only TLS Secrets can be an Ingress's certificate.
    let tls = ListParams::default().fields("type=kubernetes.io/tls");
    out.extend(
        list::<Secret>(client, &tls)
            .await?
            .into_iter()
            .map(Object::Secret),
    );
    if config.service_type == ServiceType::NodePort {
        out.extend(
            list::<Node>(client, &ListParams::default())
                .await?
                .into_iter()
                .map(Object::Node),
        );
    }
    if config.service_type == ServiceType::NodePortLocal {
        out.extend(
            list::<Pod>(client, &ListParams::default())
                .await?
                .into_iter()
                .map(Object::Pod),
        );
    }
    Ok(out)
}

async fn list<K>(client: &Client, lp: &ListParams) -> Result<Vec<K>, kube::Error>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
    K::DynamicType: Default,
{
    match Api::<K>::all(client.clone()).list(lp).await {
        Ok(l) => Ok(l.items),
        Err(kube::Error::Api(e)) if e.code == 404 => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}
