//! Renders a translation as YAML, JSON or a table.

use std::collections::BTreeMap;

use avigw_shared::api::AviInfraSettingStatus;
use avigw_shared::config::{LicenseTier, ServiceType};
use avigw_shared::translate::{
    COND_READY, COND_SCHEDULED, Context, Key, KeyPlan, Ownership, ServiceIngressPlan, Snapshot,
};
use serde::Serialize;

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
    /// Per key: the Avi objects, ownership, Gateway status, problems and notes.
    pub keys: Vec<&'a KeyPlan>,
    /// The `status.loadBalancer` each Service gets, and from which key.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, ServiceReport<'a>>,
    /// The status avigw gives each AviInfraSetting.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub avi_infra_settings: BTreeMap<String, AviInfraSettingStatus>,
}

#[derive(Debug, Serialize)]
pub struct ServiceReport<'a> {
    pub from: &'a Key,
    #[serde(flatten)]
    pub ingress: &'a ServiceIngressPlan,
}

impl<'a> Report<'a> {
    pub fn new(ctx: &'a Context, snap: &Snapshot, plans: &'a BTreeMap<Key, KeyPlan>) -> Self {
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
            keys: plans.values().collect(),
            services,
            avi_infra_settings,
        }
    }

    pub fn render(&self, format: Format) -> Result<String, String> {
        match format {
            Format::Yaml => serde_yaml::to_string(self).map_err(|e| e.to_string()),
            Format::Json => serde_json::to_string_pretty(self)
                .map(|s| s + "\n")
                .map_err(|e| e.to_string()),
            Format::Table => Ok(self.table()),
        }
    }

    fn table(&self) -> String {
        let mut rows = vec![
            [
                "KEY",
                "OWNER",
                "VIRTUALSERVICE",
                "PORTS",
                "POOLS",
                "SERVERS",
                "VIP",
                "FQDNS",
                "SCHEDULED",
                "READY",
            ]
            .map(str::to_owned)
            .to_vec(),
        ];
        let mut remarks = Vec::new();
        for p in &self.keys {
            let vs = p.avi.virtualservice.as_ref();
            let ports = vs
                .map(|v| {
                    v.services
                        .iter()
                        .map(|s| s.port.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            let vsvip = p.avi.vsvip.as_ref();
            let vip = match vsvip {
                Some(v) => v.address().unwrap_or("auto").to_owned(),
                None => String::new(),
            };
            let fqdns = vsvip
                .map(|v| {
                    v.dns_info
                        .iter()
                        .map(|d| d.fqdn.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            let servers: usize = p.avi.pools.iter().map(|pool| pool.servers.len()).sum();
            let cond = |t: &str| {
                p.gateway_status
                    .as_ref()
                    .and_then(|s| s.condition(t))
                    .map(|c| format!("{}/{}", c.status.as_str(), c.reason))
                    .unwrap_or_else(|| "-".to_owned())
            };
            let owner = match p.ownership {
                Ownership::Ours => "ours",
                Ownership::Unclaimed => "unclaimed",
                Ownership::NotOurs => "not-ours",
            };
            rows.push(vec![
                p.key.to_string(),
                owner.to_owned(),
                vs.map(|v| v.name.clone()).unwrap_or_else(|| "-".to_owned()),
                if ports.is_empty() { "-".to_owned() } else { ports },
                p.avi.pools.len().to_string(),
                servers.to_string(),
                if vip.is_empty() { "-".to_owned() } else { vip },
                if fqdns.is_empty() { "-".to_owned() } else { fqdns },
                cond(COND_SCHEDULED),
                cond(COND_READY),
            ]);
            for pr in &p.problems {
                remarks.push(format!("{}: {}: {}", p.key, pr.reason, pr.message));
            }
            for n in &p.notes {
                remarks.push(format!("{}: {n}", p.key));
            }
        }
        let mut out = aligned(&rows);
        if !self.services.is_empty() {
            let mut rows = vec![
                ["SERVICE", "FROM", "VIP", "HOSTNAMES"]
                    .map(str::to_owned)
                    .to_vec(),
            ];
            for (svc, s) in &self.services {
                let hosts = if s.ingress.hostnames.is_empty() {
                    "-".to_owned()
                } else {
                    s.ingress.hostnames.join(",")
                };
                let vip = s
                    .ingress
                    .preferred_vip
                    .clone()
                    .unwrap_or_else(|| "auto".to_owned());
                rows.push(vec![svc.clone(), s.from.to_string(), vip, hosts]);
            }
            out.push('\n');
            out.push_str(&aligned(&rows));
        }
        if !remarks.is_empty() {
            out.push('\n');
            for r in remarks {
                out.push_str(&r);
                out.push('\n');
            }
        }
        out
    }
}

/// Rows as left-aligned columns two spaces apart.
fn aligned(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let line: Vec<String> = r.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
