//! Pool: servers.

use serde_json::{Map, Value};

use super::{array, as_port, ip_of};
use crate::error::ApiError;
use crate::objects::bad;

pub(super) fn validate(m: &Map<String, Value>) -> Result<(), ApiError> {
    for (i, s) in array(m, "servers")?.iter().enumerate() {
        // The recorded controller accepted a host name here (test_basic_auth), so only
        // presence is checked.
        let ok = s.get("ip").and_then(ip_of).is_some_and(|a| !a.trim().is_empty());
        if !ok {
            return Err(bad(format!("servers[{i}].ip.addr: This field is required.")));
        }
        if s.get("port").is_some() && as_port(s.get("port")).is_none() {
            return Err(bad(format!("servers[{i}].port: must be 1..65535")));
        }
    }
    Ok(())
}
