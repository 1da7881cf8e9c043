//! What `plan` prints, as YAML, JSON or a table ([`super::table`]). Built from redacted key
//! plans only: no private key reaches any format.

use std::collections::BTreeMap;

use avigw_shared::api::AviInfraSettingStatus;
use avigw_shared::config::{LicenseTier, ServiceType};
use avigw_shared::translate::{Context, Key, KeyPlan, ServiceIngressPlan, Snapshot};
use serde::Serialize;

use super::ingress::IngressPlan;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Yaml,
    Json,
    Table,
}

/// Everything `plan` prints.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report<'a> {
    pub cluster_name: &'a str,
    pub license_tier: LicenseTier,
    pub service_type: ServiceType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_domain: Option<&'a str>,
    /// Per key: the Avi objects, ownership, Gateway status, the Ingresses on it, problems and
    /// notes.
    pub keys: Vec<KeyReport<'a>>,
    /// The `status.loadBalancer` each Service gets, and from which key.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, ServiceReport<'a>>,
    /// Each Ingress of the input by `namespace/name`: its hosts, findings and status.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub ingresses: BTreeMap<String, IngressPlan>,
    /// The status avigw gives each AviInfraSetting.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub avi_infra_settings: BTreeMap<String, AviInfraSettingStatus>,
}

/// One key's plan; for an Ingress key also the order its objects are created in.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyReport<'a> {
    #[serde(flatten)]
    pub plan: &'a KeyPlan,
    /// Ingress keys: every Avi object as `kind/name`, in the order it is created and updated
    /// (SPEC-ingress §6); deletes go in reverse.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub create_order: Vec<String>,
}

impl<'a> KeyReport<'a> {
    fn new(plan: &'a KeyPlan) -> Self {
        let create_order = match plan.key {
            Key::L7(_) => plan
                .avi
                .names()
                .into_iter()
                .map(|(kind, name)| format!("{kind}/{name}"))
                .collect(),
            Key::Gateway(_) | Key::Service(_) => Vec::new(),
        };
        KeyReport { plan, create_order }
    }
}

#[derive(Debug, Serialize)]
pub struct ServiceReport<'a> {
    pub from: &'a Key,
    #[serde(flatten)]
    pub ingress: &'a ServiceIngressPlan,
}

impl<'a> Report<'a> {
    /// `plans` must be redacted ([`KeyPlan::redacted`]): the report prints them as they are.
    pub fn new(
        ctx: &'a Context,
        snap: &Snapshot,
        plans: &'a BTreeMap<Key, KeyPlan>,
        ingresses: BTreeMap<String, IngressPlan>,
    ) -> Self {
        let services = plans
            .values()
            .flat_map(|p| {
                p.service_ingress.iter().map(move |(svc, ing)| {
                    (
                        svc.to_string(),
                        ServiceReport {
                            from: &p.key,
                            ingress: ing,
                        },
                    )
                })
            })
            .collect();
        let avi_infra_settings = snap
            .infra_settings()
            .filter_map(|a| Some((a.metadata.name.clone()?, a.status.clone().unwrap_or_default())))
            .collect();
        Report {
            cluster_name: ctx.cluster.as_str(),
            license_tier: ctx.license_tier,
            service_type: ctx.service_type,
            dns_domain: ctx.domain.as_deref(),
            keys: plans.values().map(KeyReport::new).collect(),
            services,
            ingresses,
            avi_infra_settings,
        }
    }

    pub fn render(&self, format: Format) -> Result<String, String> {
        match format {
            Format::Yaml => serde_yaml::to_string(self).map_err(|e| e.to_string()),
            Format::Json => serde_json::to_string_pretty(self)
                .map(|s| s + "\n")
                .map_err(|e| e.to_string()),
            Format::Table => Ok(super::table::render(self)),
        }
    }
}
