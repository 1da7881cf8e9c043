//! Reads `-f` inputs: files, directories (recursively, sorted), or stdin.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

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
    let mut out = Loaded {
        objects: Vec::new(),
        ignored: Vec::new(),
        seen: BTreeMap::new(),
    };
    for input in inputs {
        if input.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|e| PlanError::Input(format!("cannot read stdin: {e}")))?;
            parse_into("<stdin>", &text, &mut out)?;
            continue;
        }
        let meta = std::fs::metadata(input)
            .map_err(|e| PlanError::Input(format!("cannot read {}: {e}", input.display())))?;
        let files = if meta.is_dir() {
            let mut files = Vec::new();
            walk(input, &mut files)?;
            files.sort();
            if files.is_empty() {
                out.ignored
                    .push(format!("{}: no *.yaml, *.yml or *.json file", input.display()));
            }
            files
        } else {
            vec![input.clone()]
        };
        for f in files {
            let text = std::fs::read_to_string(&f)
                .map_err(|e| PlanError::Input(format!("cannot read {}: {e}", f.display())))?;
            parse_into(&f.display().to_string(), &text, &mut out)?;
        }
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

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), PlanError> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| PlanError::Input(format!("cannot read {}: {e}", dir.display())))?;
    for entry in entries {
        let path = entry
            .map_err(|e| PlanError::Input(format!("cannot read {}: {e}", dir.display())))?
            .path();
        if path.is_dir() {
            walk(&path, files)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            files.push(path);
        }
    }
    Ok(())
}
