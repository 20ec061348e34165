//! Runs the bundled harness with the user's Python (never importing user code), streaming its
//! JSON lines back as events. BLAS threads are pinned to one for the run.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The machine and libraries a run measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct HostEnv {
    pub python: String,
    pub numpy: String,
    pub blas: String,
    pub cpu: String,
    pub cores: u32,
    #[serde(default)]
    pub platform: String,
    /// The 1, 5 and 15 minute load averages when the run started (recorded, not judged: they
    /// include whatever ran just before, such as the build of numgil itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loadavg: Option<Vec<f64>>,
}

/// How busy the machine was while a run measured: the `done` line of the harness.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunLoad {
    /// Load averages when the run ended (they include the run itself).
    #[serde(default)]
    pub loadavg: Option<Vec<f64>>,
    /// Timed samples, and how many of them were taken again because other processes kept
    /// cores busy.
    #[serde(default)]
    pub samples: usize,
    #[serde(default)]
    pub retaken: usize,
    /// Busy cores of other processes during the timed samples: mean and worst.
    #[serde(default)]
    pub foreign_mean: Option<f64>,
    #[serde(default)]
    pub foreign_max: Option<f64>,
}

impl RunLoad {
    /// Whether the run was measured on a busy machine: other processes kept a quarter of the
    /// cores busy on average while it measured.
    pub fn busy(&self, env: &HostEnv) -> Option<String> {
        let cores = f64::from(env.cores.max(1));
        self.foreign_mean
            .filter(|f| *f > cores * 0.25)
            .map(|f| format!("other processes kept {f:.2} of {cores} cores busy on average while it measured"))
    }
}

/// One kernel at one size.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct KernelResult {
    pub rule: String,
    pub size: Option<u64>,
    /// `ok`, `failed` (the kernel's `check` disagreed), `implausible` (timings that cannot be
    /// true, such as thread scaling above the thread count; never quoted) or `error`.
    pub check: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub single: Option<Single>,
    /// Throughput (tasks/s) of before/after per thread count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<BTreeMap<String, BTreeMap<String, f64>>>,
    /// after/before throughput per thread count.
    #[serde(default)]
    pub speedup: BTreeMap<String, f64>,
    /// Throughput at N threads over 1 thread, for before and after.
    #[serde(default)]
    pub scaling: BTreeMap<String, BTreeMap<String, f64>>,
    /// Share of a bystander thread's progress kept while before/after run (1.0: GIL released).
    #[serde(default)]
    pub bystander: BTreeMap<String, f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Single {
    pub before_s: f64,
    pub after_s: f64,
}

impl KernelResult {
    /// The speedup at the largest thread count measured: (threads, speedup).
    pub fn best_threads(&self) -> Option<(u32, f64)> {
        self.speedup.iter().filter_map(|(t, s)| Some((t.parse::<u32>().ok()?, *s))).max_by_key(|(t, _)| *t)
    }
}

/// A line of the harness's output.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Event {
    Env(HostEnv),
    Start { rule: String, total: usize, index: usize },
    Result(KernelResult),
    Skipped { rule: String, reason: String },
    Fatal { message: String },
    Done(RunLoad),
}

pub struct RunOptions {
    pub python: PathBuf,
    pub rules: Vec<String>,
    pub threads: Option<Vec<u32>>,
    pub quick: bool,
    pub check_only: bool,
    /// Run kernels from this directory instead of the bundled ones (kernel development).
    pub kernel_dir: Option<PathBuf>,
}

/// The interpreter to use: `--python`, else the active virtualenv's, else `python3`.
pub fn choose_python(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        // The harness runs in its own directory: a relative path (`.venv/bin/python`) is the
        // user's, from here. A bare name (`python3`) is looked up on PATH.
        if p.components().count() > 1 {
            return std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        }
        return p.to_path_buf();
    }
    if let Some(venv) = std::env::var_os("VIRTUAL_ENV") {
        let p = Path::new(&venv).join("bin").join("python");
        if p.exists() {
            return p;
        }
    }
    PathBuf::from("python3")
}

/// Run the harness; `on_event` sees every line as it arrives. Returns an error message naming
/// the interpreter when it cannot run or has no numpy.
pub fn run(opts: &RunOptions, mut on_event: impl FnMut(&Event)) -> Result<(), String> {
    let dir = tempdir()?;
    super::write_bundle(&dir).map_err(|e| format!("cannot write the kernel bundle: {e}"))?;
    let kernels = opts.kernel_dir.clone().unwrap_or_else(|| dir.join("kernels"));
    let mut cmd = Command::new(&opts.python);
    cmd.arg(dir.join("harness.py")).arg("--kernels").arg(&kernels);
    for r in &opts.rules {
        cmd.arg("--rule").arg(r);
    }
    if let Some(t) = &opts.threads {
        cmd.arg("--threads").arg(t.iter().map(u32::to_string).collect::<Vec<_>>().join(","));
    }
    if opts.quick {
        cmd.arg("--quick");
    }
    if opts.check_only {
        cmd.arg("--check-only");
    }
    for v in
        ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"]
    {
        cmd.env(v, "1");
    }
    // Never pick up the user's code: run from the bundle's directory, no PYTHONPATH.
    cmd.current_dir(&dir).env_remove("PYTHONPATH").env("PYTHONDONTWRITEBYTECODE", "1");
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let python = opts.python.display().to_string();
    let mut child = cmd.spawn().map_err(|e| {
        format!("cannot run the Python interpreter `{python}`: {e}\n  pass one with `--python PATH` (it needs numpy: `PATH -m pip install numpy`)")
    })?;
    let stdout = child.stdout.take().ok_or("no stdout from the harness")?;
    let mut fatal = None;
    let mut done = false;
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let Ok(event) = serde_json::from_str::<Event>(&line) else { continue };
        match &event {
            Event::Fatal { message } => fatal = Some(message.clone()),
            Event::Done(_) => done = true,
            _ => {}
        }
        on_event(&event);
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(message) = fatal {
        return Err(format!(
            "{message}\n  install it with `{python} -m pip install numpy`, or pass another interpreter with `--python`"
        ));
    }
    if !done {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(8).collect::<Vec<_>>().into_iter().rev().collect();
        return Err(format!(
            "the benchmark harness stopped early under `{python}` (status {}):\n{}",
            output.status,
            tail.join("\n")
        ));
    }
    Ok(())
}

fn tempdir() -> Result<PathBuf, String> {
    let base = std::env::temp_dir();
    for i in 0..100u32 {
        let p = base.join(format!("numgil-bench-{}-{i}", std::process::id()));
        if std::fs::create_dir(&p).is_ok() {
            return Ok(p);
        }
    }
    Err("cannot create a temporary directory".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(cores: u32, load: f64) -> HostEnv {
        HostEnv { cores, loadavg: Some(vec![load, load, load]), ..Default::default() }
    }

    #[test]
    fn a_run_is_busy_when_others_held_the_cores_while_it_measured() {
        let quiet = RunLoad { foreign_mean: Some(0.1), ..Default::default() };
        assert_eq!(quiet.busy(&env(2, 0.3)), None);
        let neighbours = RunLoad { foreign_mean: Some(0.9), ..Default::default() };
        assert!(neighbours.busy(&env(2, 0.3)).unwrap().contains("0.90 of 2 cores"));
        // A high load average alone (the build that just ran) is not judged.
        assert_eq!(quiet.busy(&env(2, 1.5)), None);
        // Unknown load (no /proc) is not called busy.
        assert_eq!(RunLoad::default().busy(&HostEnv { cores: 2, ..Default::default() }), None);
    }
}
