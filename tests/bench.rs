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
        let squeezed = l.split_whitespace().collect::<Vec<_>>().join(" ");
        out.push_str(&squeezed);
        out.push('\n');
    }
    out
}

#[test]
fn quick_bench_prints_speedups_saves_a_profile_and_check_quotes_it() {
    let cache = tempfile::tempdir().unwrap();
    let out = numgil(cache.path())
        .args(["bench", "--quick", "--rule", "NG101", "--threads", "1,2", "--python"])
        .arg(python())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("NG101") && text.contains('×'), "{text}");
    insta::assert_snapshot!("bench_table_redacted", redact(&text));
    let profiles: Vec<_> = std::fs::read_dir(cache.path().join("profiles")).unwrap().flatten().collect();
    assert_eq!(profiles.len(), 1, "one host profile saved");

    let check = numgil(cache.path()).args(["check", "fixtures/demo", "--output-format", "json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    let ev = &v[0]["evidence"];
    assert_eq!(ev["source"], "host", "{v}");
    assert!(ev["text"].as_str().unwrap().starts_with("measured here: "), "{ev}");
    // --min-speedup drops findings measured below the bar here.
    let all = numgil(cache.path())
        .args(["check", "fixtures/demo", "--min-speedup", "1e9", "--output-format", "concise"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&all.stdout).contains("NG101"));
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
    assert_eq!(v[0]["evidence"]["source"], "reference", "{v}");
}
