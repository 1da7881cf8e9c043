//! Reads `-f` inputs (files, directories, stdin: [`avigw_shared::input`]) into objects, noting
//! objects defined twice.

use std::collections::BTreeMap;
use std::path::PathBuf;

use avigw_shared::input::read_inputs;
use avigw_shared::translate::{Object, parse_manifests};

use super::PlanError;

pub(crate) struct Loaded {
    pub objects: Vec<Object>,
    pub ignored: Vec<String>,
    /// Where and how each object was first defined, by (kind, ns/name).
    seen: BTreeMap<(&'static str, String), (String, String)>,
}

fn object_json(o: &Object) -> String {
    let v = match o {
        Object::GatewayClass(x) => serde_json::to_string(x),
        Object::Gateway(x) => serde_json::to_string(x),
        Object::Service(x) => serde_json::to_string(x),
        Object::EndpointSlice(x) => serde_json::to_string(x),
        Object::Node(x) => serde_json::to_string(x),
        Object::Pod(x) => serde_json::to_string(x),
        Object::Namespace(x) => serde_json::to_string(x),
        Object::AviInfraSetting(x) => serde_json::to_string(x),
        Object::Ingress(x) => serde_json::to_string(x),
        Object::IngressClass(x) => serde_json::to_string(x),
        Object::Secret(x) => serde_json::to_string(x),
    };
    v.unwrap_or_default()
}

fn identity(o: &Object) -> (&'static str, String) {
    let m = o.metadata();
    let name = m.name.clone().unwrap_or_default();
    let id = match (o.kind().namespaced(), m.namespace.as_deref()) {
        (true, ns) => format!("{}/{name}", ns.unwrap_or("default")),
        (false, _) => name,
    };
    (o.kind().as_str(), id)
}

pub(crate) fn load_all(inputs: &[PathBuf]) -> Result<Loaded, PlanError> {
    let read = read_inputs(inputs).map_err(|e| PlanError::Input(e.to_string()))?;
    let mut out = Loaded {
        objects: Vec::new(),
        ignored: read.notes,
        seen: BTreeMap::new(),
    };
    for input in &read.inputs {
        parse_into(&input.name, &input.text, &mut out)?;
    }
    Ok(out)
}

fn parse_into(name: &str, text: &str, out: &mut Loaded) -> Result<(), PlanError> {
    let m = parse_manifests(text).map_err(|e| PlanError::Input(format!("{name}: {e}")))?;
    for o in m.objects {
        let id = identity(&o);
        let body = object_json(&o);
        match out.seen.get(&id) {
            // The same object twice (kubectl apply would update it): the later one wins.
            Some((first, first_body)) if *first_body != body => {
                out.ignored.push(format!(
                    "{name}: {} {} also defined in {first}; the later definition wins",
                    id.0, id.1
                ));
            }
            Some(_) => {}
            None => {
                out.seen.insert(id, (name.to_owned(), body));
            }
        }
        out.objects.push(o);
    }
    out.ignored
        .extend(m.ignored.into_iter().map(|i| format!("{name}: {i}")));
    Ok(())
}
