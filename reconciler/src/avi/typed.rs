//! Typed CRUD: the `shared::avi` object types know their Avi type name, so a call needs no
//! type string and answers the same type it sent.

use serde::Serialize;
use serde::de::DeserializeOwned;

use avigw_shared::avi::{
    HttpPolicySet, L4PolicySet, Pool, PoolGroup, SslKeyAndCertificate, VirtualService, VsDataScriptSet,
    VsVip, kind,
};

use super::client::AviClient;
use super::crud::ListQuery;
use super::error::Result;

/// An Avi object type as avigw sends and reads it.
pub trait AviType: Serialize + DeserializeOwned {
    /// The type's URL path segment (`/api/<KIND>`).
    const KIND: &'static str;
}

macro_rules! avi_types {
    ($($t:ty => $k:expr),* $(,)?) => {
        $(impl AviType for $t {
            const KIND: &'static str = $k;
        })*
    };
}

avi_types! {
    VsVip => kind::VSVIP,
    Pool => kind::POOL,
    L4PolicySet => kind::L4POLICYSET,
    VirtualService => kind::VIRTUALSERVICE,
    PoolGroup => kind::POOLGROUP,
    VsDataScriptSet => kind::VSDATASCRIPTSET,
    HttpPolicySet => kind::HTTPPOLICYSET,
    SslKeyAndCertificate => kind::SSLKEYANDCERTIFICATE,
}

impl AviClient {
    /// POST: creates `obj`; answers the controller's object (an SSLKeyAndCertificate answer
    /// has no `key`, and no certificate text: read it back for that).
    pub async fn create_object<T: AviType>(&self, obj: &T, tenant: Option<&str>) -> Result<T> {
        self.create(T::KIND, obj, tenant).await
    }

    /// GET by uuid.
    pub async fn read_object<T: AviType>(&self, uuid: &str, tenant: Option<&str>) -> Result<T> {
        self.get(T::KIND, uuid, tenant).await
    }

    /// The object named `name`, if any.
    pub async fn read_object_by_name<T: AviType>(
        &self,
        name: &str,
        tenant: Option<&str>,
    ) -> Result<Option<T>> {
        self.get_by_name(T::KIND, name, tenant).await
    }

    /// Every object matching `q`, all pages.
    pub async fn list_objects<T: AviType>(&self, q: &ListQuery, tenant: Option<&str>) -> Result<Vec<T>> {
        self.list(T::KIND, q, tenant).await
    }

    /// PUT: replaces the object `uuid` with `obj`.
    pub async fn update_object<T: AviType>(&self, uuid: &str, obj: &T, tenant: Option<&str>) -> Result<T> {
        self.update(T::KIND, uuid, obj, tenant).await
    }

    /// DELETE by uuid.
    pub async fn delete_object<T: AviType>(&self, uuid: &str, tenant: Option<&str>) -> Result<()> {
        self.delete(T::KIND, uuid, tenant).await
    }
}
