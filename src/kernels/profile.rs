//! Host profiles: the results of `numgil bench` on this machine, saved in the user's cache
//! directory keyed by CPU model and numpy version, and the reference run committed with numgil
//! (`rules/reference.json`). `check` quotes a finding's measured speedup from them.

use super::runner::{HostEnv, KernelResult};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostProfile {
    pub env: HostEnv,
    /// When the run finished (UTC, RFC 3339-like).
    pub date: String,
    /// `quick` or `full`.
    pub mode: String,
    pub threads: Vec<u32>,
    pub results: Vec<KernelResult>,
}

/// The committed reference run, used when this machine has no profile.
pub const REFERENCE_JSON: &str = include_str!("../../rules/reference.json");

pub fn reference() -> Option<HostProfile> {
    serde_json::from_str(REFERENCE_JSON).ok()
}

/// Where profiles live: `$NUMGIL_CACHE_DIR`, else `$XDG_CACHE_HOME/numgil`, else
/// `~/.cache/numgil`.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("NUMGIL_CACHE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("numgil"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("numgil"))
}

fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// This machine's CPU model, as the harness reports it (`/proc/cpuinfo`'s model name).
pub fn this_cpu() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_default()
}

impl HostProfile {
    pub fn file_name(&self) -> String {
        format!("{}-numpy-{}.json", slug(&self.env.cpu), slug(&self.env.numpy))
    }

    /// Save under the cache directory; returns the path.
    pub fn save(&self) -> Result<PathBuf, String> {
        let dir = cache_dir().ok_or("no cache directory (set NUMGIL_CACHE_DIR)")?.join("profiles");
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let path = dir.join(self.file_name());
        let text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        crate::files::write::write_atomic(&path, &text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(path)
    }

    /// The newest saved profile for this machine's CPU (any numpy version).
    pub fn load_for_this_host() -> Option<HostProfile> {
        let dir = cache_dir()?.join("profiles");
        let cpu = this_cpu();
        let mut best: Option<(std::time::SystemTime, HostProfile)> = None;
        for e in std::fs::read_dir(dir).ok()?.flatten() {
            let Ok(text) = std::fs::read_to_string(e.path()) else { continue };
            let Ok(p) = serde_json::from_str::<HostProfile>(&text) else { continue };
            if p.env.cpu != cpu {
                continue;
            }
            let t = e.metadata().and_then(|m| m.modified()).unwrap_or(std::time::UNIX_EPOCH);
            if best.as_ref().is_none_or(|(bt, _)| t > *bt) {
                best = Some((t, p));
            }
        }
        best.map(|(_, p)| p)
    }

    /// The headline measurement of a rule's kernel: the largest size whose check passed, at the
    /// largest thread count.
    pub fn headline(&self, rule: &str) -> Option<(u64, u32, f64)> {
        self.results
            .iter()
            .filter(|r| r.rule == rule && r.check == "ok")
            .filter_map(|r| Some((r.size?, r.best_threads()?)))
            .max_by_key(|(size, _)| *size)
            .map(|(size, (threads, speedup))| (size, threads, speedup))
    }

    /// The measurement of a rule's kernel that may be quoted for a finding on `size` elements:
    /// the largest measured size not above it (never a figure from bigger data than the
    /// finding's); with the size unknown, the smallest measured size (the figure the smallest
    /// data earns). `None` when every measured size is above a known size.
    pub fn at_size(&self, rule: &str, size: Option<u64>) -> Option<(u64, u32, f64)> {
        let measured = self
            .results
            .iter()
            .filter(|r| r.rule == rule && r.check == "ok")
            .filter_map(|r| Some((r.size?, r.best_threads()?)));
        let chosen = match size {
            Some(n) => measured.filter(|(s, _)| *s <= n).max_by_key(|(s, _)| *s),
            None => measured.min_by_key(|(s, _)| *s),
        };
        chosen.map(|(s, (threads, speedup))| (s, threads, speedup))
    }

    /// One line describing the host.
    pub fn host_line(&self) -> String {
        format!(
            "{} ({} cores), Python {}, numpy {}, {}",
            if self.env.cpu.is_empty() { "unknown CPU" } else { &self.env.cpu },
            self.env.cores,
            self.env.python,
            self.env.numpy,
            self.env.blas
        )
    }
}

/// Where a quoted figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Host,
    Reference,
}

/// A measured speedup quoted with a finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub source: Source,
    pub speedup: f64,
    pub threads: u32,
    pub size: u64,
    pub text: String,
}

/// Below this speedup a reference figure is no gain: the rule is not presented as a speed claim.
pub const MIN_GAIN: f64 = 1.05;

/// `12.3×`, `540×`.
pub fn format_speedup(x: f64) -> String {
    if x >= 100.0 { format!("{:.0}×", x) } else { format!("{:.1}×", x) }
}

/// The evidence sources for one `check` run: this host's profile if any, and the reference.
pub struct EvidenceBook {
    pub host: Option<HostProfile>,
    pub reference: Option<HostProfile>,
}

impl EvidenceBook {
    pub fn load() -> EvidenceBook {
        EvidenceBook { host: HostProfile::load_for_this_host(), reference: reference() }
    }

    /// The figure for a finding of `rule` judged on `size` elements (see
    /// [`HostProfile::at_size`]): this host's profile if it has one, else the reference run.
    pub fn for_rule(&self, rule: &str, size: Option<u64>) -> Option<Evidence> {
        // A host profile that measured the rule supersedes the reference, at every size.
        if let Some(host) = self.host.as_ref().filter(|h| h.results.iter().any(|r| r.rule == rule && r.check == "ok")) {
            let (size, threads, speedup) = host.at_size(rule, size)?;
            return Some(Evidence {
                source: Source::Host,
                speedup,
                threads,
                size,
                text: format!(
                    "measured here: {} at {}, {threads} thread{}",
                    format_speedup(speedup),
                    elements(size),
                    plural(threads)
                ),
            });
        }
        let r = self.reference.as_ref()?;
        let (size, threads, speedup) = r.at_size(rule, size)?;
        if speedup < MIN_GAIN {
            // No gain on the reference host: not quoted as a speed claim.
            return None;
        }
        Some(Evidence {
            source: Source::Reference,
            speedup,
            threads,
            size,
            text: format!(
                "reference: {} at {}, {threads} thread{} on a {}-core {}; run `numgil bench` to measure here",
                format_speedup(speedup),
                elements(size),
                plural(threads),
                r.env.cores,
                if r.env.cpu.is_empty() { "machine" } else { r.env.cpu.as_str() }
            ),
        })
    }
}

/// `500 elements`, `1,000,000 elements`.
fn elements(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out} element{}", if n == 1 { "" } else { "s" })
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}
