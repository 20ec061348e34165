//! Suppression comments: `# noqa`, `# noqa: NG101[, ...]` and `# numgil: ignore[NG101]` on the
//! line a finding starts on. Comments come from the parser's tokens (kept at parse time), so a
//! `# noqa` inside a string never counts.

use crate::project::ParsedModule;
use rustc_hash::FxHashMap;

/// What the comments of one line suppress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suppression {
    All,
    Codes(Vec<String>),
}

impl Suppression {
    pub fn covers(&self, code: &str) -> bool {
        match self {
            Suppression::All => true,
            Suppression::Codes(c) => c.iter().any(|c| c.eq_ignore_ascii_case(code)),
        }
    }
}

/// Suppressions by 1-based row.
pub fn suppressions(module: &ParsedModule) -> FxHashMap<usize, Suppression> {
    let mut out: FxHashMap<usize, Suppression> = FxHashMap::default();
    for &range in &module.suppression_comments {
        let text = &module.source.text[range];
        let Some(s) = parse_comment(text) else {
            continue;
        };
        let row = module.source.location(range.start()).row;
        let merged = match (out.remove(&row), s) {
            (Some(Suppression::All), _) | (_, Suppression::All) => Suppression::All,
            (Some(Suppression::Codes(mut a)), Suppression::Codes(b)) => {
                a.extend(b);
                Suppression::Codes(a)
            }
            (None, s) => s,
        };
        out.insert(row, merged);
    }
    out
}

/// Parse one comment (`# noqa: NG101, NG102`, `# numgil: ignore[NG101]`, `# noqa`).
pub fn parse_comment(text: &str) -> Option<Suppression> {
    let lower = text.to_ascii_lowercase();
    let mut codes: Vec<String> = Vec::new();
    let mut all = false;
    let mut found = false;
    // `# numgil: ignore[...]`
    if let Some(i) = lower.find("numgil: ignore").or_else(|| lower.find("numgil:ignore")) {
        found = true;
        let rest = &text[i..];
        let rest = &rest[rest.find("ignore").map_or(0, |j| j + "ignore".len())..];
        match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
            Some((list, _)) => codes.extend(split_codes(list)),
            None => all = true,
        }
    }
    // `# noqa` / `# noqa: CODES` (also after other directives in the same comment).
    let mut search = 0;
    while let Some(i) = lower[search..].find("noqa") {
        let at = search + i;
        search = at + 4;
        let before = lower[..at].trim_end();
        if !before.ends_with('#') {
            continue;
        }
        found = true;
        let rest = &text[at + 4..];
        match rest.trim_start().strip_prefix(':') {
            Some(list) => {
                let list: String = list
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == ',' || *c == ' ')
                    .collect();
                let parsed = split_codes(&list);
                if parsed.is_empty() {
                    all = true;
                }
                codes.extend(parsed);
            }
            None => all = true,
        }
    }
    if !found {
        return None;
    }
    if all { Some(Suppression::All) } else { Some(Suppression::Codes(codes)) }
}

fn split_codes(list: &str) -> Vec<String> {
    list.split([',', ' '])
        .map(str::trim)
        .filter(|c| {
            !c.is_empty()
                && c.chars().next().is_some_and(|ch| ch.is_ascii_alphabetic())
                && c.chars().any(|ch| ch.is_ascii_digit())
        })
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms() {
        assert_eq!(parse_comment("# noqa"), Some(Suppression::All));
        assert_eq!(parse_comment("# NOQA: NG101"), Some(Suppression::Codes(vec!["NG101".into()])));
        assert_eq!(parse_comment("# noqa: NG101, E501"), Some(Suppression::Codes(vec!["NG101".into(), "E501".into()])));
        assert_eq!(parse_comment("# numgil: ignore[NG101]"), Some(Suppression::Codes(vec!["NG101".into()])));
        assert_eq!(parse_comment("# type: ignore  # noqa: NG101"), Some(Suppression::Codes(vec!["NG101".into()])));
        assert_eq!(parse_comment("# a comment about noqa"), None);
        assert_eq!(parse_comment("# plain"), None);
        assert!(!parse_comment("# noqa: E501").unwrap().covers("NG101"));
    }
}
