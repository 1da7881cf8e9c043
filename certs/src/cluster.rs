//! The Kubernetes side: the Secret holding the bundle, and the caBundle of the webhook
//! configurations. Both are idempotent: a second run with nothing to do writes nothing.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};
use time::{Duration, OffsetDateTime};

use crate::pki::{self, Bundle, Decision};

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("{what}: {source}")]
    Kube {
        what: String,
        #[source]
        source: kube::Error,
    },
    #[error(transparent)]
    Pki(#[from] pki::PkiError),
    #[error("Secret {0} has no ca.crt to put in the webhook configurations")]
    NoCa(String),
}

fn kube_err(what: impl Into<String>) -> impl FnOnce(kube::Error) -> ClusterError {
    let what = what.into();
    move |source| ClusterError::Kube { what, source }
}

/// What [`ensure_secret`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretOutcome {
    Kept,
    Created,
    Renewed(String),
}

fn bundle_of(secret: &Secret) -> Option<Bundle> {
    let data = secret.data.as_ref()?;
    let text = |k: &str| data.get(k).and_then(|b| String::from_utf8(b.0.clone()).ok());
    Some(Bundle {
        ca_crt: text("ca.crt")?,
        tls_crt: text("tls.crt")?,
        tls_key: text("tls.key")?,
    })
}

fn secret_data(b: &Bundle) -> BTreeMap<String, ByteString> {
    BTreeMap::from([
        ("ca.crt".to_owned(), ByteString(b.ca_crt.clone().into_bytes())),
        ("tls.crt".to_owned(), ByteString(b.tls_crt.clone().into_bytes())),
        ("tls.key".to_owned(), ByteString(b.tls_key.clone().into_bytes())),
    ])
}

pub struct SecretSpec<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    pub dns_names: &'a [String],
    pub validity: Duration,
    pub renew_before: Duration,
    pub now: OffsetDateTime,
}

/// Keeps a valid Secret, or writes a new bundle into it (create, or replace with the read
/// resourceVersion so two concurrent runs cannot both win).
pub async fn ensure_secret(
    client: &Client,
    spec: &SecretSpec<'_>,
) -> Result<(SecretOutcome, Bundle), ClusterError> {
    let api: Api<Secret> = Api::namespaced(client.clone(), spec.namespace);
    let existing = api.get_opt(spec.name).await.map_err(kube_err(format!(
        "reading Secret {}/{}",
        spec.namespace, spec.name
    )))?;
    let current = existing.as_ref().and_then(bundle_of);
    let decision = pki::assess(current.as_ref(), spec.dns_names, spec.now, spec.renew_before);
    if let (Decision::Keep, Some(b)) = (&decision, current) {
        return Ok((SecretOutcome::Kept, b));
    }
    let bundle = pki::generate(spec.dns_names, spec.now, spec.validity)?;
    let mut secret = Secret {
        metadata: ObjectMeta {
            name: Some(spec.name.to_owned()),
            namespace: Some(spec.namespace.to_owned()),
            labels: Some(BTreeMap::from([(
                "app.kubernetes.io/managed-by".to_owned(),
                "avigw-certs".to_owned(),
            )])),
            ..Default::default()
        },
        type_: Some("kubernetes.io/tls".to_owned()),
        data: Some(secret_data(&bundle)),
        ..Default::default()
    };
    let what = format!("writing Secret {}/{}", spec.namespace, spec.name);
    let outcome = match existing {
        None => {
            api.create(&PostParams::default(), &secret)
                .await
                .map_err(kube_err(what))?;
            SecretOutcome::Created
        }
        Some(old) => {
            secret.metadata.resource_version = old.metadata.resource_version.clone();
            secret.metadata.labels = old.metadata.labels.clone().or(secret.metadata.labels);
            api.replace(spec.name, &PostParams::default(), &secret)
                .await
                .map_err(kube_err(what))?;
            SecretOutcome::Renewed(match decision {
                Decision::Renew(r) => r,
                _ => "incomplete Secret".to_owned(),
            })
        }
    };
    Ok((outcome, bundle))
}

/// Reads `ca.crt` from a Secret.
pub async fn read_ca(client: &Client, namespace: &str, name: &str) -> Result<String, ClusterError> {
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let s = api
        .get(name)
        .await
        .map_err(kube_err(format!("reading Secret {namespace}/{name}")))?;
    bundle_of(&s)
        .map(|b| b.ca_crt)
        .ok_or_else(|| ClusterError::NoCa(format!("{namespace}/{name}")))
}

/// Sets `caBundle` on every webhook of the named configurations; returns how many webhooks
/// changed (0 when all already carry it — then nothing is written).
pub async fn patch_ca_bundle(
    client: &Client,
    ca_pem: &str,
    validating: Option<&str>,
    mutating: Option<&str>,
) -> Result<usize, ClusterError> {
    let bundle = ByteString(ca_pem.as_bytes().to_vec());
    let mut changed = 0;
    if let Some(name) = validating {
        let api: Api<ValidatingWebhookConfiguration> = Api::all(client.clone());
        let mut cfg = api
            .get(name)
            .await
            .map_err(kube_err(format!("reading ValidatingWebhookConfiguration {name}")))?;
        let n = set_bundles(
            cfg.webhooks
                .iter_mut()
                .flatten()
                .map(|w| &mut w.client_config.ca_bundle),
            &bundle,
        );
        if n > 0 {
            api.replace(name, &PostParams::default(), &cfg)
                .await
                .map_err(kube_err(format!(
                    "patching ValidatingWebhookConfiguration {name}"
                )))?;
        }
        changed += n;
    }
    if let Some(name) = mutating {
        let api: Api<MutatingWebhookConfiguration> = Api::all(client.clone());
        let mut cfg = api
            .get(name)
            .await
            .map_err(kube_err(format!("reading MutatingWebhookConfiguration {name}")))?;
        let n = set_bundles(
            cfg.webhooks
                .iter_mut()
                .flatten()
                .map(|w| &mut w.client_config.ca_bundle),
            &bundle,
        );
        if n > 0 {
            api.replace(name, &PostParams::default(), &cfg)
                .await
                .map_err(kube_err(format!("patching MutatingWebhookConfiguration {name}")))?;
        }
        changed += n;
    }
    Ok(changed)
}

fn set_bundles<'a>(slots: impl Iterator<Item = &'a mut Option<ByteString>>, bundle: &ByteString) -> usize {
    let mut n = 0;
    for slot in slots {
        if slot.as_ref() != Some(bundle) {
            *slot = Some(bundle.clone());
            n += 1;
        }
    }
    n
}
