//! What a PromQL expression reads (series, label matchers, grouping labels), and whether a
//! `/metrics` page has it: how the charts' dashboards and alerts are held to the metrics the
//! components really expose.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail, ensure};

/// Labels Prometheus adds to every series it scrapes through a ServiceMonitor: a query may
/// use them although no avigw metric carries them itself.
pub const TARGET_LABELS: [&str; 7] = [
    "job",
    "namespace",
    "pod",
    "instance",
    "service",
    "endpoint",
    "container",
];

/// One label matcher of a series selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    pub label: String,
    pub op: String,
    pub value: String,
}

/// What a PromQL expression reads: its series selectors (metric name and matchers) and the
/// labels it groups or matches by.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PromqlUse {
    pub selectors: Vec<(String, Vec<Matcher>)>,
    pub grouping: Vec<String>,
}

const PROMQL_KEYWORDS: [&str; 8] = ["and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"];
const PROMQL_GROUPING: [&str; 6] = ["by", "without", "on", "ignoring", "group_left", "group_right"];
const PROMQL_AGGREGATIONS: [&str; 12] = [
    "sum",
    "min",
    "max",
    "avg",
    "group",
    "stddev",
    "stdvar",
    "count",
    "count_values",
    "bottomk",
    "topk",
    "quantile",
];

/// Scans a PromQL expression (as written in these charts: no `{__name__=…}` selectors) for
/// the metrics and labels it uses. Fails on what it cannot read, so that nothing is skipped.
pub fn promql_use(expr: &str) -> Result<PromqlUse> {
    let chars: Vec<char> = expr.chars().collect();
    let mut used = PromqlUse::default();
    let mut i = 0;
    let ident = |i: &mut usize| {
        let start = *i;
        while *i < chars.len() && (chars[*i].is_ascii_alphanumeric() || matches!(chars[*i], '_' | ':')) {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>()
    };
    let skip_ws = |i: &mut usize| {
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '[' {
            // A range or subquery duration (may hold a Grafana variable).
            while i < chars.len() && chars[i] != ']' {
                i += 1;
            }
            i += 1;
        } else if c == '{' {
            bail!("selector without a metric name at {i} in {expr:?}");
        } else if c == '"' || c == '\'' || c == '`' {
            string_literal(&chars, &mut i)?;
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            // A number or a duration (`1e10`, `0.5`, `5m`).
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                i += 1;
            }
        } else if c == '$' {
            i += 1;
            ident(&mut i);
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let word = ident(&mut i);
            skip_ws(&mut i);
            let next = chars.get(i).copied();
            if PROMQL_GROUPING.contains(&word.as_str()) {
                if next == Some('(') {
                    let close = chars[i..]
                        .iter()
                        .position(|&c| c == ')')
                        .with_context(|| format!("unclosed label list in {expr:?}"))?;
                    let list: String = chars[i + 1..i + close].iter().collect();
                    for label in list.split(',').map(str::trim).filter(|l| !l.is_empty()) {
                        ensure!(
                            label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                            "cannot read label list ({list}) in {expr:?}"
                        );
                        used.grouping.push(label.to_owned());
                    }
                    i += close + 1;
                }
            } else if next == Some('(')
                || PROMQL_KEYWORDS.contains(&word.as_str())
                || PROMQL_AGGREGATIONS.contains(&word.as_str())
            {
                // A function or aggregation call, or an operator keyword.
            } else {
                let matchers = if next == Some('{') {
                    label_matchers(&chars, &mut i)?
                } else {
                    Vec::new()
                };
                used.selectors.push((word, matchers));
            }
        } else {
            i += 1;
        }
    }
    Ok(used)
}

fn string_literal(chars: &[char], i: &mut usize) -> Result<String> {
    let quote = chars[*i];
    let mut out = String::new();
    *i += 1;
    while *i < chars.len() && chars[*i] != quote {
        if chars[*i] == '\\' && quote != '`' {
            *i += 1;
        }
        if let Some(&c) = chars.get(*i) {
            out.push(c);
        }
        *i += 1;
    }
    ensure!(*i < chars.len(), "unterminated string in PromQL");
    *i += 1;
    Ok(out)
}

/// `{label op "value", …}` starting at `chars[*i] == '{'`.
fn label_matchers(chars: &[char], i: &mut usize) -> Result<Vec<Matcher>> {
    let mut out = Vec::new();
    *i += 1;
    loop {
        while *i < chars.len() && (chars[*i].is_whitespace() || chars[*i] == ',') {
            *i += 1;
        }
        match chars.get(*i) {
            Some('}') => {
                *i += 1;
                return Ok(out);
            }
            None => bail!("unclosed label matchers"),
            _ => {}
        }
        let start = *i;
        while *i < chars.len() && (chars[*i].is_ascii_alphanumeric() || chars[*i] == '_') {
            *i += 1;
        }
        let label: String = chars[start..*i].iter().collect();
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
        let op_start = *i;
        while *i < chars.len() && matches!(chars[*i], '=' | '!' | '~') {
            *i += 1;
        }
        let op: String = chars[op_start..*i].iter().collect();
        while *i < chars.len() && chars[*i].is_whitespace() {
            *i += 1;
        }
        ensure!(
            !label.is_empty() && ["=", "!=", "=~", "!~"].contains(&op.as_str()),
            "cannot read label matcher at {start}"
        );
        ensure!(
            matches!(chars.get(*i), Some('"' | '\'' | '`')),
            "label matcher {label}{op} without a quoted value"
        );
        let value = string_literal(chars, i)?;
        out.push(Matcher { label, op, value });
    }
}

/// A `/metrics` page: every series name with the label names and values seen on it.
#[derive(Debug, Default)]
pub struct Exposition {
    pub series: BTreeMap<String, BTreeMap<String, BTreeSet<String>>>,
    /// Metric family names (`# TYPE` lines).
    pub families: BTreeSet<String>,
}

impl Exposition {
    pub fn parse(text: &str) -> Result<Exposition> {
        let mut e = Exposition::default();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                e.families
                    .insert(rest.split_whitespace().next().unwrap_or("").to_owned());
                continue;
            }
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let chars: Vec<char> = line.chars().collect();
            let end = chars
                .iter()
                .position(|&c| c == '{' || c == ' ')
                .with_context(|| format!("bad exposition line {line:?}"))?;
            let name: String = chars[..end].iter().collect();
            let labels = e.series.entry(name).or_default();
            if chars[end] == '{' {
                let mut i = end;
                for m in label_matchers(&chars, &mut i)? {
                    labels.entry(m.label).or_default().insert(m.value);
                }
            }
        }
        Ok(e)
    }

    /// Why `expr` reads something this exposition does not have, if it does: an unknown
    /// series name, a label the series does not carry (nor Prometheus adds), or a label value
    /// it never showed.
    pub fn problems(&self, expr: &str) -> Result<Vec<String>> {
        let used = promql_use(expr)?;
        let mut problems = Vec::new();
        let mut labels_in_use: BTreeSet<&str> = TARGET_LABELS.into_iter().collect();
        for (name, matchers) in &used.selectors {
            let Some(seen) = self.series.get(name) else {
                problems.push(format!("no series {name}"));
                continue;
            };
            labels_in_use.extend(seen.keys().map(String::as_str));
            for m in matchers {
                if TARGET_LABELS.contains(&m.label.as_str()) {
                    continue;
                }
                match seen.get(&m.label) {
                    None => problems.push(format!("{name} has no label {}", m.label)),
                    Some(values) if m.op == "=" && !values.contains(&m.value) => problems.push(format!(
                        "{name}{{{}=\"{}\"}} never seen; values seen: {values:?}",
                        m.label, m.value
                    )),
                    Some(_) => {}
                }
            }
        }
        for label in &used.grouping {
            if !labels_in_use.contains(label.as_str()) {
                problems.push(format!("grouping by {label}, which none of its series carries"));
            }
        }
        Ok(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(label: &str, op: &str, value: &str) -> Matcher {
        Matcher {
            label: label.into(),
            op: op.into(),
            value: value.into(),
        }
    }

    #[test]
    fn promql_use_finds_selectors_matchers_and_grouping() {
        let used = promql_use(
            r#"histogram_quantile(0.99, sum by (namespace, le) (rate(a_bucket{job="j",code=~"5..|error", x != 'y'}[$__rate_interval])))
              > 1 / 60 and on (namespace) group without(pod) (b) unless max(c{}) offset 5m or vector(0) - time()"#,
        )
        .unwrap();
        assert_eq!(
            used.selectors,
            vec![
                (
                    "a_bucket".to_owned(),
                    vec![
                        m("job", "=", "j"),
                        m("code", "=~", "5..|error"),
                        m("x", "!=", "y")
                    ]
                ),
                ("b".to_owned(), vec![]),
                ("c".to_owned(), vec![]),
            ]
        );
        assert_eq!(used.grouping, ["namespace", "le", "namespace", "pod"]);
    }

    #[test]
    fn promql_use_refuses_what_it_cannot_read() {
        let err = |e: &str| promql_use(e).unwrap_err().to_string();
        assert!(err(r#"{__name__="x"}"#).contains("selector without a metric name"));
        assert!(err(r#"x{a="b""#).contains("unclosed label matchers"));
        assert!(err(r#"x{a=b}"#).contains("label matcher a= without a quoted value"));
        assert!(err(r#"x{a<"b"}"#).contains("cannot read label matcher"));
        assert!(err(r#"x{a="b}"#).contains("unterminated string"));
        assert!(err("sum by (a (x)").contains("cannot read label list (a (x)"));
        assert!(err("sum by (a").contains("unclosed label list"));
    }

    #[test]
    fn exposition_problems_name_unknown_series_labels_and_values() {
        let e = Exposition::parse(
            "# HELP r Reconciles\n# TYPE r counter\nr{kind=\"Gateway\",result=\"error\"} 1\nr{kind=\"Service\",result=\"success\"} 2\ng 0\n",
        )
        .unwrap();
        assert_eq!(e.families.iter().collect::<Vec<_>>(), ["r"]);
        assert!(
            e.problems(r#"sum by (kind, pod) (r{result="error", namespace="x"}) + g"#)
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            e.problems(r#"sum by (rule) (r{result="errors", code=~"5.."}) + h"#)
                .unwrap(),
            [
                r#"r{result="errors"} never seen; values seen: {"error", "success"}"#,
                "r has no label code",
                "no series h",
                "grouping by rule, which none of its series carries",
            ]
        );
    }
}
