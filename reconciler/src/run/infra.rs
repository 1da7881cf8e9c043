//! AviInfraSetting status: the shared rules, plus the SE group and networks it names must
//! exist on the controller.

use std::collections::BTreeSet;

use avigw_shared::api::{AviInfraSetting, AviInfraSettingStatus};
use avigw_shared::avi::kind;
use avigw_shared::translate::infra_setting_status;
use serde_json::Value;

use super::Controller;
use super::error_policy::Failure;
use super::state::SettingName;

impl Controller {
    /// Judges one AviInfraSetting and writes its status when that changed.
    pub(super) async fn check_infra_setting(&self, name: &SettingName) -> Result<(), Failure> {
        let Some(ais) = self.shared.snap.read().infra_setting(&name.0).cloned() else {
            return Ok(());
        };
        let status = self.judge(&ais).await?;
        self.writer.infra_setting_status(&ais, &status).await?;
        Ok(())
    }

    async fn judge(&self, ais: &AviInfraSetting) -> Result<AviInfraSettingStatus, crate::avi::AviError> {
        let status = infra_setting_status(ais);
        if status.status.as_deref() != Some("Accepted") {
            return Ok(status);
        }
        let mut missing = Vec::new();
        if let Some(se) = ais.spec.se_group.as_ref().map(|g| g.name.clone()) {
            let found: Option<Value> = self
                .avi
                .get_by_name(kind::SE_GROUP, &se, Some(&self.ctx.tenant))
                .await?;
            if found.is_none() {
                missing.push(format!(
                    "spec.seGroup.name: Avi has no Service Engine group {se:?}"
                ));
            }
        }
        if let Some(net) = &ais.spec.network {
            let names = net
                .vip_networks
                .iter()
                .filter_map(|n| n.network_name.clone())
                .chain(net.node_networks.iter().filter_map(|n| n.network_name.clone()));
            for n in names.collect::<BTreeSet<_>>() {
                let found: Option<Value> = self
                    .avi
                    .get_by_name(kind::NETWORK, &n, Some(&self.ctx.tenant))
                    .await?;
                if found.is_none() {
                    missing.push(format!("spec.network: Avi has no network {n:?}"));
                }
            }
        }
        if missing.is_empty() {
            Ok(status)
        } else {
            Ok(AviInfraSettingStatus {
                status: Some("Rejected".to_owned()),
                error: Some(missing.join("; ")),
            })
        }
    }
}
