//! End-to-end test with a real editor: headless Neovim runs the plugin in
//! `editors/neovim` against the built `numgil server` and must show the cross-file
//! NG101 findings in `fixtures/demo/pipeline/stats.py`.
//!
//! Skipped (passes with a note) when `nvim` is not on PATH, unless `NUMGIL_E2E=1`, in
//! which case a missing `nvim` is a failure.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

const NVIM_DEADLINE: Duration = Duration::from_secs(90);

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn e2e_required() -> bool {
    std::env::var("NUMGIL_E2E").is_ok_and(|v| v == "1")
}

/// `Some(version line)` when `nvim` runs; `None` when it is not installed.
fn nvim_version() -> Option<String> {
    match Command::new("nvim").arg("--version").stdin(Stdio::null()).output() {
        Ok(out) => {
            let text = String::from_utf8_lossy(&out.stdout);
            Some(text.lines().next().unwrap_or("nvim (unknown version)").to_string())
        }
        Err(err) if err.kind() == ErrorKind::NotFound => None,
        Err(err) => panic!("could not run `nvim --version`: {err}"),
    }
}

fn tail(path: &Path, max: usize) -> String {
    match fs::read_to_string(path) {
        Ok(text) => {
            let start = text.len().saturating_sub(max);
            let start = (start..=text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            text[start..].to_string()
        }
        Err(err) => format!("<{}: {err}>", path.display()),
    }
}

struct Run {
    status: String,
    json: Option<Value>,
    stdout: String,
    stderr: String,
    lsp_log: String,
}

impl Run {
    fn context(&self) -> String {
        format!(
            "nvim: {}\n--- result JSON ---\n{}\n--- nvim stdout ---\n{}\n--- nvim stderr ---\n{}\n--- lsp.log (tail) ---\n{}",
            self.status,
            self.json.as_ref().map(|v| serde_json::to_string_pretty(v).unwrap()).unwrap_or_else(|| "<none>".into()),
            self.stdout,
            self.stderr,
            self.lsp_log,
        )
    }
}

fn run_nvim(file: &Path, root: &Path, min_diagnostics: usize) -> Run {
    let repo = repo_root();
    let script = repo.join("editors/neovim/test/e2e.lua");
    assert!(script.is_file(), "missing {}", script.display());
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("result.json");
    let stdout_path = tmp.path().join("stdout");
    let stderr_path = tmp.path().join("stderr");
    // Keep Neovim's state (lsp.log, shada, swap) inside the temp dir.
    let xdg = tmp.path().join("xdg");
    for sub in ["config", "data", "state", "cache"] {
        fs::create_dir_all(xdg.join(sub)).unwrap();
    }

    let mut child = Command::new("nvim")
        .args(["--headless", "--clean", "-u", "NONE", "-i", "NONE", "-n", "-c"])
        .arg(format!("luafile {}", script.display()))
        .current_dir(&repo)
        .env("NUMGIL_BIN", env!("CARGO_BIN_EXE_numgil"))
        .env("NUMGIL_FILE", file)
        .env("NUMGIL_ROOT", root)
        .env("NUMGIL_OUT", &out)
        .env("NUMGIL_TIMEOUT_MS", "10000")
        .env("NUMGIL_MIN_DIAGNOSTICS", min_diagnostics.to_string())
        .env("NUMGIL_LSP_LOG_LEVEL", "info")
        .env("XDG_CONFIG_HOME", xdg.join("config"))
        .env("XDG_DATA_HOME", xdg.join("data"))
        .env("XDG_STATE_HOME", xdg.join("state"))
        .env("XDG_CACHE_HOME", xdg.join("cache"))
        .stdin(Stdio::null())
        .stdout(fs::File::create(&stdout_path).unwrap())
        .stderr(fs::File::create(&stderr_path).unwrap())
        .spawn()
        .expect("spawn nvim");

    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break format!("{status}");
        }
        if started.elapsed() > NVIM_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            break format!("killed after {NVIM_DEADLINE:?} (hung)");
        }
        std::thread::sleep(Duration::from_millis(50));
    };

    let json = fs::read_to_string(&out)
        .ok()
        .map(|text| serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad JSON ({e}): {text}")));
    let log_path = json
        .as_ref()
        .and_then(|v: &Value| v["lsp_log"].as_str())
        .map(PathBuf::from)
        .unwrap_or_else(|| xdg.join("cache/nvim/lsp.log"));
    Run {
        status,
        stdout: tail(&stdout_path, 4000),
        stderr: tail(&stderr_path, 4000),
        lsp_log: tail(&log_path, 6000),
        json,
    }
}

#[test]
fn neovim_shows_cross_file_thread_task_diagnostics() {
    let Some(version) = nvim_version() else {
        if e2e_required() {
            panic!("NUMGIL_E2E=1 but `nvim` is not on PATH");
        }
        eprintln!("note: skipping the Neovim end-to-end test: `nvim` is not on PATH (set NUMGIL_E2E=1 to require it)");
        return;
    };
    eprintln!("editor_e2e: {version}");

    let repo = repo_root();
    let root = repo.join("fixtures/demo");
    let file = root.join("pipeline/stats.py");
    let run = run_nvim(&file, &root, 3);
    let ctx = run.context();
    let json = run.json.as_ref().unwrap_or_else(|| panic!("the Lua script wrote no result\n{ctx}"));
    assert_eq!(json["ok"], Value::Bool(true), "the Lua script failed\n{ctx}");
    assert_eq!(json["client"]["root_dir"].as_str(), Some(root.to_str().unwrap()), "workspace root\n{ctx}");

    let diagnostics = json["diagnostics"].as_array().unwrap_or_else(|| panic!("no diagnostics array\n{ctx}"));
    // (0-based line, 0-based column) of each NG101 from numgil.
    let mut ng101: Vec<(u64, u64)> = diagnostics
        .iter()
        .filter(|d| d["source"] == "numgil" && d["code"] == "NG101")
        .map(|d| (d["lnum"].as_u64().unwrap(), d["col"].as_u64().unwrap()))
        .collect();
    ng101.sort();

    // stats.py:7 `return max(chunk) - min(chunk)`: both builtins, reached from
    // `pool.map(stats.spread, ...)` in driver.py.
    let line7: Vec<u64> = ng101.iter().filter(|(l, _)| *l == 6).map(|(_, c)| *c).collect();
    assert_eq!(line7, vec![11, 24], "NG101 for max and min on stats.py:7\n{ctx}");
    // stats.py:12 `return sum(centered * centered)` in `energy`, submitted via
    // `from .stats import energy`.
    assert!(ng101.iter().any(|(l, c)| *l == 11 && *c == 11), "NG101 for sum on stats.py:12\n{ctx}");
    // `summary` (stats.py:22) runs on the main thread only.
    assert!(!ng101.iter().any(|(l, _)| *l == 21), "no NG101 in summary()\n{ctx}");

    for d in diagnostics.iter().filter(|d| d["source"] == "numgil") {
        assert!(d["message"].as_str().is_some_and(|m| !m.is_empty()), "diagnostic without a message\n{ctx}");
    }

    // The server must exit when Neovim shuts it down (shutdown + exit).
    assert_eq!(json["exited"], Value::Bool(true), "the server did not exit after shutdown/exit\n{ctx}");
    assert_eq!(json["exit"]["code"], 0, "server exit code after shutdown/exit\n{ctx}");
    assert!(run.status.contains("exit status: 0"), "nvim exit\n{ctx}");
}
