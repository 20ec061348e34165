//! `numgil bench` end to end with a real interpreter. The suite provisions its own numpy
//! virtualenv under `target/numgil-test-venv` (created once, reused), so it needs only Rust and
//! Python 3 with pip on the machine.

use assert_cmd::Command;
mod common;

use common::{python, python_bin};
use std::path::Path;

fn numgil(cache: &Path) -> Command {
    let mut c = Command::cargo_bin("numgil").unwrap();
    c.env("NUMGIL_CACHE_DIR", cache).env("NO_COLOR", "1").env("COLUMNS", "100").env_remove("VIRTUAL_ENV");
    c
}

#[test]
fn every_kernel_check_passes() {
    let cache = tempfile::tempdir().unwrap();
    let out = numgil(cache.path()).args(["bench", "--check-only", "--python"]).arg(python()).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    for (code, _) in numgil::kernels::KERNELS {
        assert!(text.contains(&format!("{code} n=")), "no check for {code}:\n{text}");
    }
    assert!(!text.contains("failed") && !text.contains("error"), "{text}");
    assert!(numgil::kernels::KERNELS.len() >= 8);
}

/// Replace measured figures with `#` and squeeze spaces, so the table's shape can be pinned.
fn redact(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("host:") {
            out.push_str("host: <redacted>\n");
            continue;
        }
        let mut l = String::new();
        let mut in_num = false;
        for c in line.chars() {
            if c.is_ascii_digit() || (in_num && c == '.') {
                if !in_num {
                    l.push('#');
                }
                in_num = true;
            } else if c == '─' && l.ends_with('─') {
                // Rule lines follow the column widths, which follow the figures.
            } else {
                in_num = false;
                l.push(c);
            }
        }
        // Units follow the figures too (a call near 1 ms reads µs on one run, ms on the next).
        let squeezed = l.split_whitespace().collect::<Vec<_>>().join(" ").replace("# ms", "# s").replace("# µs", "# s");
        out.push_str(&squeezed);
        out.push('\n');
    }
    out
}

#[test]
fn quick_bench_prints_speedups_saves_a_profile_and_check_quotes_it() {
    let cache = tempfile::tempdir().unwrap();
    let out = numgil(cache.path())
        // The suite runs tests in parallel: the machine is busy by design.
        .args(["bench", "--quick", "--rule", "NG101", "--threads", "1,2", "--allow-busy", "--python"])
        .arg(python())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("NG101") && text.contains('×'), "{text}");
    insta::assert_snapshot!("bench_table_redacted", redact(&text));
    let profiles: Vec<_> = std::fs::read_dir(cache.path().join("profiles")).unwrap().flatten().collect();
    assert_eq!(profiles.len(), 1, "one host profile saved");
    // The profile records how busy the machine was.
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(profiles[0].path()).unwrap()).unwrap();
    assert!(saved["load"]["samples"].as_u64().unwrap() > 0, "{saved}");
    assert!(saved["load"]["foreign_mean"].as_f64().is_some(), "{saved}");
    if cfg!(target_os = "linux") {
        assert_eq!(saved["env"]["loadavg"].as_array().map(Vec::len), Some(3), "{saved}");
    }

    let check = numgil(cache.path()).args(["check", "fixtures/demo", "--output-format", "json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let ev = &measured_finding(&v)["evidence"];
    assert_eq!(ev["source"], "host", "{v}");
    assert!(ev["text"].as_str().unwrap().starts_with("measured here: "), "{ev}");
    // --min-speedup drops findings measured below the bar here, at their size; a finding on
    // data of unknown size has no one figure and stays.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tasks.py"), SIZED_TASKS).unwrap();
    let all = numgil(cache.path())
        .current_dir(dir.path())
        .args(["check", "--min-speedup", "1e9", "--output-format", "concise"])
        .output()
        .unwrap();
    let kept = String::from_utf8_lossy(&all.stdout).to_string();
    assert!(!kept.contains("tasks.py:12:"), "{kept}");
    assert!(kept.contains("tasks.py:15:"), "{kept}");
}

/// `sum(a * b)` on 100 elements (row 7), on 10^6 (row 12) and on 1-D arrays of unknown size
/// (row 15), in thread tasks.
const SIZED_TASKS: &str = "from concurrent.futures import ThreadPoolExecutor\nimport numpy as np\n\n\
     def small():\n    a = np.random.rand(100)\n    b = np.random.rand(100)\n    return sum(a * b)\n\n\
     def large():\n    a = np.zeros(1_000_000)\n    b = np.ones(1_000_000)\n    return sum(a * b)\n\n\
     def unknown(a, b):\n    return sum(a * b)\n\n\
     with ThreadPoolExecutor(2) as ex:\n    ex.submit(small)\n    ex.submit(large)\n    \
     ex.submit(unknown, np.load(\"a.npy\").ravel(), np.load(\"b.npy\").ravel())\n";

#[test]
fn harness_rejects_scaling_above_the_thread_count() {
    let harness = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/kernels");
    let script = r#"
import sys
sys.path.insert(0, sys.argv[1])
import harness
bad = {"scaling": {"before": {"2": 2.53}, "after": {"2": 1.9}}}
ok = {"scaling": {"before": {"2": 0.99}, "after": {"2": 1.95}}}
four_on_two = {"scaling": {"before": {"4": 3.1}, "after": {"4": 2.0}}}
for why in (harness.implausible(bad, 2), harness.implausible(ok, 2),
            harness.implausible(four_on_two, 2), harness.implausible(four_on_two, 4)):
    harness.emit({"why": why})  # the harness keeps stdout for its protocol
"#;
    let out = std::process::Command::new(python()).arg("-c").arg(script).arg(&harness).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert_eq!(lines.len(), 4, "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(lines[0]["why"].as_str().unwrap().contains("before scaled 2.53x on 2 threads"), "{text}");
    assert!(lines[1]["why"].is_null(), "{text}");
    assert!(lines[2]["why"].as_str().unwrap().contains("before scaled 3.10x on 4 threads (2 cores)"), "{text}");
    assert!(lines[3]["why"].is_null(), "{text}");
}

#[test]
fn an_implausible_result_is_never_quoted() {
    let mut p = numgil::kernels::profile::reference().unwrap();
    for r in p.results.iter_mut().filter(|r| r.rule == "NG101") {
        r.check = "implausible".into();
    }
    assert!(p.at_size("NG101", Some(1_000_000)).is_none());
    assert!(p.headline("NG101").is_none());
}

/// Small data: a finding on 10 elements whose rewrite loses at 10 elements is small; one on
/// 10^6 is not. A quick host profile (one large size) does not hide what the reference's
/// nearer size says.
#[test]
fn small_data_is_judged_by_the_nearest_measured_size() {
    use numgil::kernels::profile::{EvidenceBook, reference};
    let r = reference().unwrap();
    let book = EvidenceBook { host: None, reference: Some(r.clone()) };
    let gain_at_10 = r.gain_bound("NG101-sum", 10).unwrap();
    assert_eq!(gain_at_10.0, 10);
    assert_eq!(book.is_small("NG101-sum", 3), gain_at_10.1 < 1.2);
    assert!(!book.is_small("NG101-sum", 1_000_000));
    let mut quick = r.clone();
    quick.results.retain(|x| x.size == Some(50_000));
    let with_host = EvidenceBook { host: Some(quick), reference: Some(r) };
    assert_eq!(with_host.is_small("NG101-sum", 3), book.is_small("NG101-sum", 3));
}

#[test]
fn without_a_profile_check_quotes_the_reference() {
    let cache = tempfile::tempdir().unwrap();
    let out = numgil(cache.path()).args(["check", "fixtures/demo"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("reference: ") && text.contains("run `numgil bench` to measure here"), "{text}");
}

#[test]
fn interpreter_without_numpy_is_a_clear_error() {
    let venv = common::target_dir().join("numgil-test-venv-bare");
    if !python_bin(&venv).exists() {
        let ok = std::process::Command::new("python3")
            .args(["-m", "venv", "--without-pip"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "cannot create a bare virtualenv");
    }
    let cache = tempfile::tempdir().unwrap();
    let out = numgil(cache.path()).args(["bench", "--quick", "--python"]).arg(python_bin(&venv)).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("numpy is not installed") && err.contains("-m pip install numpy"), "{err}");

    let out = numgil(cache.path()).args(["bench", "--python", "/nonexistent/python3"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot run the Python interpreter `/nonexistent/python3`"), "{err}");
}

#[test]
fn a_failing_kernel_is_reported_and_never_quoted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("NG101.kernel.py"),
        "SIZES = [600]\nQUICK_SIZE = 600\nimport numpy as np\n\ndef setup(n):\n    return np.ones(n)\n\ndef before(x):\n    return sum(x)\n\ndef after(x):\n    return float(np.sum(x)) + 1.0\n\ndef check(x):\n    assert before(x) == after(x), 'before and after disagree'\n",
    )
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = numgil(cache.path())
        .args(["bench", "--quick", "--threads", "1", "--python"])
        .arg(python())
        .arg("--kernel-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "a failed check exits 1");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("failed"), "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("never quoted"));
    // The saved profile has no figure for NG101, so check falls back to the reference.
    let check = numgil(cache.path()).args(["check", "fixtures/demo", "--output-format", "json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(measured_finding(&v)["evidence"]["source"], "reference", "{v}");
}

/// The demo's `sum(centered * centered)` (its fix writes `np.sum(centered * centered)`, the
/// `NG101-sumprod` kernel). Every NG101 finding that quotes a figure quotes one of NG101's
/// kernels.
fn measured_finding(v: &serde_json::Value) -> &serde_json::Value {
    let all = v.as_array().expect("a JSON array of findings");
    for d in all.iter().filter(|d| d["code"] == "NG101" && !d["evidence"].is_null()) {
        let k = d["evidence"]["kernel"].as_str().unwrap_or_default();
        assert!(k == "NG101" || k.starts_with("NG101-"), "{d}");
    }
    let d = all
        .iter()
        .find(|d| d["filename"].as_str().is_some_and(|f| f.ends_with("stats.py")) && d["location"]["row"] == 12)
        .expect("the sum(a * b) finding");
    assert_eq!(d["evidence"]["kernel"], "NG101-sumprod", "{d}");
    d
}

/// The figure quoted for a finding is the kernel's measurement at the finding's size, never one
/// from bigger data: `sum(a * b)` on 100 elements (below every measured size) quotes nothing;
/// on 10^6 elements it quotes exactly what the reference measured at 10^6.
#[test]
fn quoted_figure_is_the_measurement_at_the_findings_size() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tasks.py"), SIZED_TASKS).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let out = numgil(cache.path()).current_dir(dir.path()).args(["check", "--output-format", "json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let at_row =
        |row: u64| v.as_array().unwrap().iter().find(|d| d["code"] == "NG101" && d["location"]["row"] == row).cloned();
    let reference: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/reference.json")).unwrap(),
    )
    .unwrap();
    // The fix writes `np.sum(a * b)`: its kernel is NG101-sumprod.
    let kernel = "NG101-sumprod";
    let measured = |size: u64| -> f64 {
        let r = reference["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == kernel && r["size"] == size)
            .expect("the reference measured the kernel at this size");
        r["speedup"]
            .as_object()
            .unwrap()
            .iter()
            .max_by_key(|(t, _)| t.parse::<u32>().unwrap())
            .unwrap()
            .1
            .as_f64()
            .unwrap()
    };
    for (row, size, text) in [(7, 100, "at 100 elements"), (12, 1_000_000, "at 1,000,000 elements")] {
        let d = at_row(row).unwrap_or_else(|| panic!("the {size}-element finding: {v}"));
        assert_eq!(d["elements"], size, "{d}");
        let ev = &d["evidence"];
        if measured(size) < 1.05 {
            assert!(ev.is_null(), "no gain is no speed claim: {d}");
            continue;
        }
        assert_eq!(ev["kernel"], kernel, "{ev}");
        assert_eq!(ev["size"], size, "{ev}");
        // Exactly the measurement of this rewrite at this size: never a bigger figure.
        assert_eq!(ev["speedup"].as_f64().unwrap(), measured(size), "{ev}");
        assert!(ev["text"].as_str().unwrap().contains(text), "{ev}");
    }
    // Size unknown: the measured range, said as such.
    let unknown = at_row(15).expect("the finding of unknown size");
    assert!(unknown["elements"].is_null(), "{unknown}");
    let text = unknown["evidence"]["text"].as_str().unwrap_or_default();
    assert!(text.contains("at 10 elements to ") && text.contains("size is unknown"), "{unknown}");
}
