//! A rule's metadata as data (ruff's model): code, name, fix availability, scope and the
//! source whose `//!` comment is its documentation, and where its page lives. A module of its
//! own, importing nothing of the crate, so that findings (`crate::findings::diagnostic`) can name the
//! rule they come from without depending on the rules that produce them.

/// Whether a rule can offer a fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FixAvailability {
    None,
    Sometimes,
    Always,
}

/// Which code a rule looks at by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleScope {
    /// Code reachable from a thread task (or all code with `--scope everywhere`).
    ThreadTasks,
    /// Reported at task launcher sites (pool rules), whatever the scope.
    Launchers,
    /// Reported by the engine itself (syntax and I/O problems, suppressions).
    Engine,
}

/// A rule's metadata, in one place.
#[derive(Debug)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub fix: FixAvailability,
    pub scope: RuleScope,
    /// Off unless selected (`--select`, `select`/`extend-select`).
    pub opt_in: bool,
    /// The source of the rule's file; its `//!` comment is the rule's documentation.
    pub source: &'static str,
}

impl RuleMeta {
    /// The rule's documentation: the `//!` module comment of its file.
    pub fn doc(&self) -> String {
        let mut out = String::new();
        for line in self.source.lines() {
            let Some(rest) = line.strip_prefix("//!") else {
                if line.trim().is_empty() {
                    continue;
                }
                break;
            };
            out.push_str(rest.strip_prefix(' ').unwrap_or(rest));
            out.push('\n');
        }
        out
    }
}

/// The repository, from `Cargo.toml`'s `repository`.
pub const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// The absolute URL of a rule's page: `<repository>/blob/main/rules/NG101.md`.
pub fn rule_url(code: &str) -> String {
    format!("{REPOSITORY}/blob/main/rules/{code}.md")
}
