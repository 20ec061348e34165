//! Host profiles: the results of `numgil bench` on this machine, saved in the user's cache
//! directory keyed by CPU model and numpy version, and the reference run committed with numgil
//! (`rules/reference.json`). `check` quotes a finding's measured speedup from them.

use super::runner::{HostEnv, KernelResult, RunLoad};
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
    /// How busy the machine was while it measured (absent in profiles from before it was
    /// recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<RunLoad>,
    pub results: Vec<KernelResult>,
    /// Kernels measured in a later run on the same host and merged into this one (a kernel
    /// added after the reference run): which, when, and how busy the machine was.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<MergedRun>,
}

/// A later run on the same host whose results for `kernels` replaced this profile's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MergedRun {
    pub kernels: Vec<String>,
    pub date: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<RunLoad>,
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
    /// This run (of some kernels only, `--rule`) merged into `earlier`, a profile of the same
    /// host, numpy and thread counts: `earlier` keeps its other kernels' results, this run's
    /// replace those it measured, and `merged` records when and under what load they were
    /// taken. `None` when the two runs cannot be merged (another CPU, numpy version or set of
    /// thread counts, or a different mode).
    pub fn merged_into(self, mut earlier: HostProfile) -> Option<HostProfile> {
        if earlier.env.cpu != self.env.cpu
            || earlier.env.numpy != self.env.numpy
            || earlier.threads != self.threads
            || earlier.mode != self.mode
        {
            return None;
        }
        let mut kernels: Vec<String> = self.results.iter().map(|r| r.rule.clone()).collect();
        kernels.dedup();
        earlier.results.retain(|r| !kernels.contains(&r.rule));
        earlier.results.extend(self.results);
        earlier.results.sort_by(|a, b| a.rule.cmp(&b.rule).then(a.size.cmp(&b.size)));
        for m in &mut earlier.merged {
            m.kernels.retain(|k| !kernels.contains(k));
        }
        earlier.merged.retain(|m| !m.kernels.is_empty());
        earlier.merged.push(MergedRun { kernels, date: self.date, load: self.load });
        Some(earlier)
    }

    /// The later run a kernel's results come from, if they were merged in.
    pub fn merged_run(&self, kernel: &str) -> Option<&MergedRun> {
        self.merged.iter().find(|m| m.kernels.iter().any(|k| k == kernel))
    }

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

    /// Every size a kernel measured with a passing check: (size, threads, speedup at the
    /// largest thread count). Implausible and failed results are never among them.
    fn measured<'p>(&'p self, rule: &'p str) -> impl Iterator<Item = (u64, u32, f64)> + 'p {
        self.results
            .iter()
            .filter(move |r| r.rule == rule && r.check == "ok")
            .filter_map(|r| Some((r.size?, r.best_threads()?)))
            .map(|(size, (threads, speedup))| (size, threads, speedup))
    }

    /// The headline measurement of a rule's kernel: the largest size whose check passed, at the
    /// largest thread count.
    pub fn headline(&self, rule: &str) -> Option<(u64, u32, f64)> {
        self.measured(rule).max_by_key(|m| m.0)
    }

    /// The measurement of a rule's kernel that may be quoted for a finding on `size` elements:
    /// the largest measured size not above it (never a figure from bigger data than the
    /// finding's); with the size unknown, the smallest measured size (the figure the smallest
    /// data earns). `None` when every measured size is above a known size.
    pub fn at_size(&self, rule: &str, size: Option<u64>) -> Option<(u64, u32, f64)> {
        match size {
            Some(n) => self.measured(rule).filter(|m| m.0 <= n).max_by_key(|m| m.0),
            None => self.measured(rule).min_by_key(|m| m.0),
        }
    }

    /// An upper bound on what a rewrite gains on `size` elements: the figure at the smallest
    /// measured size at or above it (the gain of these rewrites grows with the data: per-element
    /// Python work against a fixed call overhead). `None` when `size` is above every measured
    /// size or the kernel has no result.
    pub fn gain_bound(&self, rule: &str, size: u64) -> Option<(u64, f64)> {
        self.measured(rule).filter(|m| m.0 >= size).min_by_key(|m| m.0).map(|(s, _, x)| (s, x))
    }

    /// The measured range of a kernel's figures: (smallest size, its figure), (largest size,
    /// its figure).
    fn range(&self, rule: &str) -> Option<((u64, f64), (u64, f64))> {
        let lo = self.measured(rule).min_by_key(|m| m.0)?;
        let hi = self.headline(rule)?;
        Some(((lo.0, lo.2), (hi.0, hi.2)))
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
    /// The kernel measured: the rule's code, or code and pattern (`NG101-minmax`).
    pub kernel: String,
    pub source: Source,
    pub speedup: f64,
    pub threads: u32,
    pub size: u64,
    pub text: String,
}

/// Below this speedup a reference figure is no gain: the rule is not presented as a speed claim.
pub const MIN_GAIN: f64 = 1.05;

/// A finding whose fix gains less than this at the finding's (known) size is not worth
/// reporting by default (`--include-small` shows it).
pub const WORTH_REPORTING: f64 = 1.2;

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

    /// The profile whose figures count for `rule`: this host's if it measured the rule (it
    /// supersedes the reference at every size), else the reference run.
    fn profile_for(&self, rule: &str) -> Option<(&HostProfile, Source)> {
        if let Some(host) = self.host.as_ref().filter(|h| h.results.iter().any(|r| r.rule == rule && r.check == "ok")) {
            return Some((host, Source::Host));
        }
        self.reference.as_ref().map(|r| (r, Source::Reference))
    }

    /// Whether a finding on `size` elements is too small to be worth its fix: the rewrite's
    /// kernel gains less than [`WORTH_REPORTING`] at the smallest measured size at or above it.
    /// The tighter bound wins: a quick host profile measured one large size only, so the
    /// reference's figure at a size nearer the finding's says more about small data.
    pub fn is_small(&self, rule: &str, size: u64) -> bool {
        let host = self.host.as_ref().and_then(|h| h.gain_bound(rule, size));
        let reference = self.reference.as_ref().and_then(|r| r.gain_bound(rule, size));
        let bound = match (host, reference) {
            (Some(h), Some(r)) => Some(if r.0 < h.0 { r } else { h }),
            (h, r) => h.or(r),
        };
        bound.is_some_and(|(_, g)| g < WORTH_REPORTING)
    }

    /// The figure for a finding of `rule` judged on `size` elements (see
    /// [`HostProfile::at_size`]): this host's profile if it has one, else the reference run.
    /// With the size unknown, the figure is the smallest measured size's and the text gives
    /// the measured range and says the size is unknown.
    pub fn for_rule(&self, rule: &str, size: Option<u64>) -> Option<Evidence> {
        let (p, source) = self.profile_for(rule)?;
        let (at, threads, speedup) = p.at_size(rule, size)?;
        let figure = match (size, p.range(rule)) {
            (None, Some(((lo, lo_x), (hi, hi_x)))) if lo != hi => format!(
                "{} at {} to {} at {} (this data's size is unknown)",
                format_speedup(lo_x),
                element_count(lo),
                format_speedup(hi_x),
                element_count(hi)
            ),
            (None, _) => format!("{} at {} (this data's size is unknown)", format_speedup(speedup), element_count(at)),
            (Some(_), _) => format!("{} at {}", format_speedup(speedup), element_count(at)),
        };
        let threads_text = format!("{threads} thread{}", plural(threads));
        let text = match source {
            Source::Host => format!("measured here: {figure}, {threads_text}"),
            Source::Reference => {
                // With the size unknown the range says it; a known size without gain on the
                // reference host is not presented as a speed claim.
                if size.is_some() && speedup < MIN_GAIN {
                    return None;
                }
                format!(
                    "reference: {figure}, {threads_text} on a {}-core {}; run `numgil bench` to measure here",
                    p.env.cores,
                    if p.env.cpu.is_empty() { "machine" } else { p.env.cpu.as_str() }
                )
            }
        };
        Some(Evidence { kernel: rule.to_string(), source, speedup, threads, size: at, text })
    }
}

/// `500 elements`, `1,000,000 elements`.
/// An element count as findings write it: `1 element`, `1,000 elements`.
pub fn element_count(n: u64) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn result(rule: &str, size: u64, speedup: f64) -> KernelResult {
        serde_json::from_value(serde_json::json!({
            "rule": rule, "size": size, "check": "ok", "speedup": {"2": speedup}
        }))
        .unwrap()
    }

    fn profile(date: &str, results: Vec<KernelResult>) -> HostProfile {
        HostProfile {
            env: HostEnv { cpu: "cpu".into(), numpy: "2.4".into(), ..HostEnv::default() },
            date: date.into(),
            mode: "full".into(),
            threads: vec![1, 2],
            load: None,
            results,
            merged: Vec::new(),
        }
    }

    /// `numgil bench --rule NG301` adds to the host's profile instead of replacing it: the other
    /// kernels' results stay, NG301's are the new run's, and the merge is recorded.
    #[test]
    fn a_run_of_some_kernels_merges_into_the_earlier_profile() {
        let earlier = profile("d1", vec![result("NG101", 100, 2.0), result("NG301", 6000, 9.0)]);
        let later = profile("d2", vec![result("NG301", 6000, 27.0), result("NG301", 60000, 21.0)]);
        let merged = later.clone().merged_into(earlier.clone()).expect("same host");
        let rows: Vec<(&str, u64, f64)> =
            merged.results.iter().map(|r| (r.rule.as_str(), r.size.unwrap(), r.speedup["2"])).collect();
        assert_eq!(rows, vec![("NG101", 100, 2.0), ("NG301", 6000, 27.0), ("NG301", 60000, 21.0)]);
        assert_eq!(merged.date, "d1");
        assert_eq!(merged.merged_run("NG301").map(|m| m.date.as_str()), Some("d2"));
        assert!(merged.merged_run("NG101").is_none());
        // Another numpy, or other thread counts: not the same measurement, nothing merged.
        let mut other = later.clone();
        other.env.numpy = "1.26".into();
        assert!(other.merged_into(earlier.clone()).is_none());
        let mut other = later;
        other.threads = vec![1, 2, 4];
        assert!(other.merged_into(earlier).is_none());
    }
}
