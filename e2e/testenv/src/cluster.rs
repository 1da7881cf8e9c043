//! Clients, kubeconfigs, ServiceAccount tokens, namespaces and CRDs of the apiserver.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use serde::Deserialize;

use crate::error::{Error, Result, io_err};
use crate::{FIELD_MANAGER, LIMITED_USER, TestEnv, TokenUser, crd_dir};

static CRDS: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
static NS_COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestEnv {
    /// The pre-made low-privilege token user [`LIMITED_USER`]: authenticated, but
    /// allowed nothing until a test binds a role to it. Shared by all tests of the
    /// binary, so bind namespaced Roles, not ClusterRoles, where you can; otherwise
    /// use [`TestEnv::service_account_client`], which gives each test its own identity.
    pub fn limited_user(&self) -> Result<&TokenUser> {
        self.info
            .users
            .iter()
            .find(|u| u.name == LIMITED_USER)
            .ok_or_else(|| Error::Other(format!("token user {LIMITED_USER} not configured")))
    }

    /// A new admin client. Create one per test: a client is bound to the tokio runtime
    /// it was made on, and each `#[tokio::test]` has its own.
    pub async fn client(&self) -> Result<Client> {
        self.token_client(&self.info.admin_token).await
    }

    /// A client authenticating with a bearer token (static token user or ServiceAccount token).
    pub async fn token_client(&self, token: &str) -> Result<Client> {
        let yaml = self.kubeconfig_yaml("token-user", token)?;
        let kc = Kubeconfig::from_yaml(&yaml)?;
        let config = Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default()).await?;
        Ok(Client::try_from(config)?)
    }

    /// A client as [`LIMITED_USER`].
    pub async fn limited_client(&self) -> Result<Client> {
        let token = self.limited_user()?.token.clone();
        self.token_client(&token).await
    }

    /// A kubeconfig text for a bearer token, e.g. to run kubectl as a low-privilege user.
    pub fn kubeconfig_yaml(&self, user: &str, token: &str) -> Result<String> {
        let ca = std::fs::read(&self.info.ca_file).map_err(io_err("reading the CA file"))?;
        let ca_b64 = BASE64_STANDARD.encode(&ca);
        Ok(format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: testenv\n  cluster:\n    server: {url}\n    certificate-authority-data: {ca_b64}\nusers:\n- name: {user}\n  user:\n    token: {token}\ncontexts:\n- name: testenv\n  context:\n    cluster: testenv\n    user: {user}\ncurrent-context: testenv\n",
            url = self.info.url,
        ))
    }

    /// Creates ServiceAccount `name` in `ns` (if needed) and returns a client holding a
    /// fresh token for it (TokenRequest API): user `system:serviceaccount:<ns>:<name>`,
    /// with no permissions until the test binds some.
    pub async fn service_account_client(&self, ns: &str, name: &str) -> Result<Client> {
        let token = self.service_account_token(ns, name).await?;
        self.token_client(&token).await
    }

    /// The token behind [`TestEnv::service_account_client`] (e.g. for a kubeconfig).
    pub async fn service_account_token(&self, ns: &str, name: &str) -> Result<String> {
        let admin = self.client().await?;
        let sas: Api<ServiceAccount> = Api::namespaced(admin, ns);
        let sa = ServiceAccount {
            metadata: ObjectMeta {
                name: Some(name.to_string()),
                ..Default::default()
            },
            ..Default::default()
        };
        match sas.create(&PostParams::default(), &sa).await {
            Ok(_) => {}
            Err(kube::Error::Api(s)) if s.code == 409 => {}
            Err(e) => return Err(e.into()),
        }
        let req = TokenRequest {
            spec: TokenRequestSpec {
                audiences: vec![],
                expiration_seconds: Some(24 * 3600),
                ..Default::default()
            },
            ..Default::default()
        };
        let resp = sas
            .create_token_request(name, &PostParams::default(), &req)
            .await?;
        resp.status
            .map(|s| s.token)
            .ok_or_else(|| Error::Other("TokenRequest returned no status".into()))
    }

    /// Creates a namespace with a unique name derived from `hint` (tests never delete
    /// namespaces: without a namespace controller they stay Terminating forever).
    pub async fn create_namespace(&self, client: &Client, hint: &str) -> Result<String> {
        let n = NS_COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = unique_name(hint, n);
        let api: Api<Namespace> = Api::all(client.clone());
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some(BTreeMap::from([(
                    "avigw.io/testenv".to_string(),
                    "true".to_string(),
                )])),
                ..Default::default()
            },
            ..Default::default()
        };
        api.create(&PostParams::default(), &ns).await?;
        Ok(name)
    }

    /// Applies every CRD in `manifests/crds/*.yaml` (server-side apply) and waits until
    /// each is Established. Runs once per test binary; later calls return at once.
    pub async fn install_crds(&self, client: &Client) -> Result<()> {
        CRDS.get_or_try_init(|| apply_crds(client.clone(), crd_dir()))
            .await
            .map(|_| ())
    }
}

/// DNS-1123 label from a test name hint plus a per-process counter.
fn unique_name(hint: &str, n: u64) -> String {
    let mut s: String = hint
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    s.truncate(50);
    let s = s.trim_matches('-');
    let s = if s.is_empty() { "t" } else { s };
    format!("{s}-{n}")
}

async fn apply_crds(client: Client, dir: PathBuf) -> Result<()> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(io_err(format!("reading {}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    let api: Api<CustomResourceDefinition> = Api::all(client);
    let pp = PatchParams::apply(FIELD_MANAGER).force();
    let mut names = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).map_err(io_err(format!("reading {}", path.display())))?;
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let value = serde_yaml::Value::deserialize(doc).map_err(|source| Error::Yaml {
                path: path.clone(),
                source,
            })?;
            if value.is_null() {
                continue;
            }
            let crd: CustomResourceDefinition =
                serde_yaml::from_value(value).map_err(|source| Error::Yaml {
                    path: path.clone(),
                    source,
                })?;
            let name = crd.metadata.name.clone().unwrap_or_default();
            api.patch(&name, &pp, &Patch::Apply(&crd)).await?;
            names.push(name);
        }
    }
    if names.is_empty() {
        return Err(Error::NoCrds(dir));
    }
    for name in names {
        let cond = kube::runtime::wait::conditions::is_crd_established();
        tokio::time::timeout(
            Duration::from_secs(30),
            kube::runtime::wait::await_condition(api.clone(), &name, cond),
        )
        .await
        .map_err(|_| Error::Timeout {
            what: format!("CRD {name} to be Established"),
            secs: 30,
        })?
        .map_err(|e| Error::Other(format!("waiting for CRD {name}: {e}")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dns_labels() {
        assert_eq!(unique_name("Smoke_Test::gateway", 3), "smoke-test--gateway-3");
        assert_eq!(unique_name("--", 0), "t-0");
        assert!(unique_name(&"x".repeat(200), 12345).len() <= 63);
    }
}
