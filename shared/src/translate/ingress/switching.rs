//! A host's switching HTTPPolicySet rules with Kubernetes path semantics (SPEC-ingress §4.3):
//! `Exact p` → `EQUALS [p]`; `Prefix p` → `EQUALS [p]` and `BEGINS_WITH [p/]` (trailing `/`
//! dropped; `Prefix /` → `BEGINS_WITH [/]`); `ImplementationSpecific p` → `BEGINS_WITH [p]`;
//! an empty path → a rule without `match` (catch-all). Order: `EQUALS` first, then longer
//! `match_str`, then older Ingress, then spec order; catch-alls last.

use std::cmp::Reverse;

use crate::avi::{
    BEGINS_WITH, EQUALS, HTTP_SWITCHING_SELECT_POOLGROUP, HttpRequestRule, HttpSwitchingAction, MatchTarget,
    PathMatch, SENSITIVE, kind, name_ref,
};
use crate::naming::policy_rule_name;
use crate::rules::PathType;

/// One entry to switch: its path, and the PoolGroup it selects. `order` is its position in
/// the host's entries, which are oldest Ingress first, then spec order.
pub(crate) struct SwitchEntry<'a> {
    pub path: &'a str,
    pub path_type: PathType,
    pub pool_group: &'a str,
    pub order: usize,
}

/// `(criteria, match_str)` of one rule, `None` for the catch-all.
type Match = Option<(&'static str, String)>;

fn matches_of(path: &str, path_type: PathType) -> Vec<Match> {
    if path.is_empty() {
        return vec![None];
    }
    match path_type {
        PathType::Exact => vec![Some((EQUALS, path.to_owned()))],
        PathType::ImplementationSpecific => vec![Some((BEGINS_WITH, path.to_owned()))],
        PathType::Prefix => {
            let p = path.trim_end_matches('/');
            if p.is_empty() {
                vec![Some((BEGINS_WITH, "/".to_owned()))]
            } else {
                vec![Some((EQUALS, p.to_owned())), Some((BEGINS_WITH, format!("{p}/")))]
            }
        }
    }
}

/// The rules of set `set`, indexed 0, 1, 2... in switching order.
pub(crate) fn switching_rules(set: &str, entries: &[SwitchEntry<'_>]) -> Vec<HttpRequestRule> {
    let mut rules: Vec<(Match, &SwitchEntry<'_>)> = entries
        .iter()
        .flat_map(|e| matches_of(e.path, e.path_type).into_iter().map(move |m| (m, e)))
        .collect();
    rules.sort_by_key(|(m, e)| match m {
        Some((criteria, s)) => (false, *criteria != EQUALS, Reverse(s.len()), e.order),
        None => (true, false, Reverse(0), e.order),
    });
    rules
        .into_iter()
        .enumerate()
        .map(|(i, (m, e))| HttpRequestRule {
            name: policy_rule_name(set, i),
            index: u32::try_from(i).unwrap_or(u32::MAX),
            enable: true,
            match_: m.map(|(criteria, s)| MatchTarget {
                path: Some(PathMatch {
                    match_criteria: criteria.to_owned(),
                    match_case: Some(SENSITIVE.to_owned()),
                    match_str: vec![s],
                }),
                ..MatchTarget::default()
            }),
            switching_action: Some(HttpSwitchingAction {
                action: HTTP_SWITCHING_SELECT_POOLGROUP.to_owned(),
                pool_group_ref: Some(name_ref(kind::POOLGROUP, e.pool_group)),
            }),
            redirect_action: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e<'a>(path: &'a str, t: PathType, pg: &'a str, order: usize) -> SwitchEntry<'a> {
        SwitchEntry {
            path,
            path_type: t,
            pool_group: pg,
            order,
        }
    }

    fn shape(rules: &[HttpRequestRule]) -> Vec<String> {
        rules
            .iter()
            .map(|r| {
                let m = r
                    .match_
                    .as_ref()
                    .and_then(|m| m.path.as_ref())
                    .map(|p| format!("{} {}", p.match_criteria, p.match_str[0]))
                    .unwrap_or_else(|| "*".to_owned());
                let pg = r
                    .switching_action
                    .as_ref()
                    .unwrap()
                    .pool_group_ref
                    .as_ref()
                    .unwrap();
                format!(
                    "{} {} {m} -> {}",
                    r.index,
                    r.name,
                    pg.trim_start_matches("/api/poolgroup?name=")
                )
            })
            .collect()
    }

    #[test]
    fn the_worked_example() {
        let rules = switching_rules(
            "set",
            &[
                e("/bar", PathType::Prefix, "bar", 0),
                e("/bar/v2", PathType::Exact, "v2", 1),
            ],
        );
        assert_eq!(
            shape(&rules),
            [
                "0 set-0 EQUALS /bar/v2 -> v2",
                "1 set-1 EQUALS /bar -> bar",
                "2 set-2 BEGINS_WITH /bar/ -> bar"
            ]
        );
        assert_eq!(
            rules[0]
                .match_
                .as_ref()
                .unwrap()
                .path
                .as_ref()
                .unwrap()
                .match_case
                .as_deref(),
            Some("SENSITIVE")
        );
    }

    #[test]
    fn kubernetes_path_semantics() {
        let rules = switching_rules(
            "s",
            &[
                e("", PathType::ImplementationSpecific, "all", 0),
                e("/", PathType::Prefix, "root", 1),
                e("/a/", PathType::Prefix, "a", 2),
                e("/img", PathType::ImplementationSpecific, "img", 3),
            ],
        );
        assert_eq!(
            shape(&rules),
            [
                "0 s-0 EQUALS /a -> a",
                "1 s-1 BEGINS_WITH /img -> img",
                "2 s-2 BEGINS_WITH /a/ -> a",
                "3 s-3 BEGINS_WITH / -> root",
                "4 s-4 * -> all"
            ]
        );
        assert!(rules[4].match_.is_none());
    }

    #[test]
    fn ties_go_to_the_older_entry() {
        // Exact /a (newer) and Prefix /a (older) both give EQUALS /a.
        let rules = switching_rules(
            "s",
            &[
                e("/a", PathType::Prefix, "old", 0),
                e("/a", PathType::Exact, "new", 1),
            ],
        );
        assert_eq!(
            shape(&rules),
            [
                "0 s-0 EQUALS /a -> old",
                "1 s-1 EQUALS /a -> new",
                "2 s-2 BEGINS_WITH /a/ -> old"
            ]
        );
    }
}
