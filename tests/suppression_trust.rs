//! NG003 never deletes a suppression that is in use: not when the suppressed rule is deselected
//! (`--select`, `--ignore`), not for rules that did not run on the line, and not when the file
//! is checked without the file that launches its tasks (issue 11's three reproductions). Also
//! NG104's per-slice `np.apply_along_axis` finding quotes no per-element figure.

use assert_cmd::Command;
use std::path::Path;

fn numgil(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("numgil").expect("binary builds");
    c.current_dir(dir).env("NO_COLOR", "1").env("NUMGIL_CACHE_DIR", dir.join(".no-profile"));
    c
}

/// A task whose lines hold suppressions that are all in use when the whole project is checked.
const TASK: &str = "\
import numpy as np


def similarity(a, b):
    a = np.linspace(0.0, 1.0, 512)
    b = np.ones(512)
    total = sum(a)  # noqa: NG101 the reference implementation sums sequentially
    return a @ b, total  # noqa: NG107 kept: matches the C extension bit for bit
";

const LAUNCHER: &str = "\
from concurrent.futures import ThreadPoolExecutor

from work import similarity


def main():
    with ThreadPoolExecutor() as ex:
        return ex.submit(similarity, None, None).result()
";

fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("work.py"), TASK).unwrap();
    std::fs::write(dir.path().join("launcher.py"), LAUNCHER).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> (String, i32) {
    let out = numgil(dir).args(args).output().expect("runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (text, out.status.code().unwrap_or(-1))
}

#[test]
fn deselected_rule_keeps_its_suppression() {
    let dir = project();
    let (out, _) = run(dir.path(), &["check", ".", "--select", "NG101,NG003", "--fix", "--output-format", "concise"]);
    assert_eq!(std::fs::read_to_string(dir.path().join("work.py")).unwrap(), TASK, "{out}");
    assert!(!out.contains("NG003"), "{out}");
}

#[test]
fn ignored_rule_keeps_its_suppression() {
    let dir = project();
    let (out, _) = run(
        dir.path(),
        &["check", ".", "--extend-select", "NG003", "--ignore", "NG107", "--fix", "--output-format", "concise"],
    );
    assert_eq!(std::fs::read_to_string(dir.path().join("work.py")).unwrap(), TASK, "{out}");
    assert!(!out.contains("NG003"), "{out}");
}

#[test]
fn file_checked_without_its_launcher_keeps_every_suppression() {
    let dir = project();
    let (out, _) = run(dir.path(), &["check", "work.py", "--extend-select", "NG003", "--fix"]);
    assert_eq!(std::fs::read_to_string(dir.path().join("work.py")).unwrap(), TASK, "{out}");
    assert!(!out.contains("NG003"), "{out}");
}

#[test]
fn file_with_a_local_launcher_and_one_elsewhere_is_not_reported_alone() {
    // The task is reached from a launcher in this file too, so the rules run on it; but
    // `launcher.py`, which imports `work`, was not checked: the context is incomplete.
    let dir = project();
    let text = format!(
        "{TASK}\n\ndef local():\n    from concurrent.futures import ThreadPoolExecutor\n\n    with ThreadPoolExecutor() as ex:\n        return ex.submit(similarity, 1, 2).result()\n\n\ndef stale(a):\n    return np.sum(np.ones(100_000))  # noqa: NG101\n"
    );
    std::fs::write(dir.path().join("work.py"), &text).unwrap();
    let (out, _) = run(dir.path(), &["check", "work.py", "--extend-select", "NG003", "--fix"]);
    assert_eq!(std::fs::read_to_string(dir.path().join("work.py")).unwrap(), text, "{out}");
}

#[test]
fn whole_project_reports_only_the_stale_suppression() {
    let dir = project();
    let stale = "\n\ndef helper(x):\n    x = np.ones(100_000)\n    return np.sum(x)  # noqa: NG101 stale\n";
    let launcher = LAUNCHER.replace("from work import similarity", "from work import helper, similarity").replace(
        "return ex.submit(similarity, None, None).result()",
        "ex.submit(helper, None)\n        return ex.submit(similarity, None, None).result()",
    );
    std::fs::write(dir.path().join("work.py"), format!("{TASK}{stale}")).unwrap();
    std::fs::write(dir.path().join("launcher.py"), launcher).unwrap();
    let (out, _) = run(dir.path(), &["check", ".", "--extend-select", "NG003", "--output-format", "concise"]);
    let ng003: Vec<&str> = out.lines().filter(|l| l.contains("NG003")).collect();
    assert_eq!(ng003.len(), 1, "{out}");
    assert!(ng003[0].contains("work.py:13:"), "{out}");
    let (out, _) = run(dir.path(), &["check", ".", "--extend-select", "NG003", "--fix"]);
    let fixed = std::fs::read_to_string(dir.path().join("work.py")).unwrap();
    assert_eq!(fixed, format!("{TASK}\n\ndef helper(x):\n    x = np.ones(100_000)\n    return np.sum(x)\n"), "{out}");
}

#[test]
fn apply_along_axis_quotes_no_per_element_figure() {
    let dir = tempfile::tempdir().unwrap();
    let src = "\
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def peak(row):
    return row.argmax()


def task(m):
    a = np.apply_along_axis(peak, 1, m)
    b = np.apply_along_axis(np.bincount, 1, m)
    c = np.vectorize(lambda v: v + 1)(m)
    return a, b, c


def main():
    with ThreadPoolExecutor() as ex:
        ex.submit(task, np.zeros((4, 4), dtype=int))
";
    std::fs::write(dir.path().join("m.py"), src).unwrap();
    let (out, _) = run(dir.path(), &["check", ".", "--output-format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let findings: Vec<&serde_json::Value> = v.as_array().unwrap().iter().filter(|d| d["code"] == "NG104").collect();
    assert_eq!(findings.len(), 2, "{out}");
    let slice = findings.iter().find(|d| d["location"]["row"] == 11).expect("apply_along_axis(peak) reported");
    let msg = slice["message"].as_str().unwrap();
    assert!(msg.contains("1-D slice") && !msg.contains("every element"), "{msg}");
    assert!(slice["evidence"].is_null(), "no per-element figure on a per-slice finding: {slice}");
    let help = slice["help"].as_str().unwrap_or("");
    assert!(!help.contains("reference:"), "{help}");
    // The np.vectorize finding still quotes its per-element figure.
    let element = findings.iter().find(|d| d["location"]["row"] == 13).expect("vectorize reported");
    assert!(!element["evidence"].is_null(), "{element}");
}
