//! Jupyter notebooks: findings by cell, task discovery across cells, IPython magics tolerated,
//! and fixes written into the right cell with the JSON unchanged everywhere else.

use assert_cmd::Command;

fn numgil() -> Command {
    let mut c = Command::cargo_bin("numgil").unwrap();
    c.env("NO_COLOR", "1").env("COLUMNS", "100").env("NUMGIL_CACHE_DIR", "target/test-cache-none");
    c
}

const NB: &str = "fixtures/notebooks/pool_tasks.ipynb";

#[test]
fn finding_is_reported_in_its_cell() {
    let out = numgil().args(["check", NB, "--output-format", "json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let d = v.as_array().unwrap();
    assert_eq!(d.len(), 1, "only the task's builtin sum; magics are not syntax errors: {v}");
    assert_eq!(d[0]["code"], "NG101");
    assert_eq!(d[0]["cell"], 2, "defined in cell 2");
    assert_eq!(d[0]["location"], serde_json::json!({ "row": 7, "column": 12 }), "line 7 of the cell");
    assert_eq!(d[0]["task"]["site"]["cell"], 6, "submitted from cell 6");
    let concise = numgil().args(["check", NB, "--output-format", "concise"]).output().unwrap();
    assert!(
        String::from_utf8_lossy(&concise.stdout).starts_with("fixtures/notebooks/pool_tasks.ipynb:cell 2:7:12: NG101")
    );
    let full = numgil().args(["check", NB]).output().unwrap();
    insta::assert_snapshot!("notebook_full", String::from_utf8_lossy(&full.stdout));
}

#[test]
fn fix_edits_only_the_cell_and_keeps_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nb.ipynb");
    let original = std::fs::read_to_string(NB).unwrap();
    std::fs::write(&path, &original).unwrap();
    let out = numgil().args(["check", "--fix", "--unsafe-fixes"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let fixed = std::fs::read_to_string(&path).unwrap();
    // Valid JSON, and byte-for-byte the same outside the edited line of cell 2.
    let v: serde_json::Value = serde_json::from_str(&fixed).unwrap();
    assert_eq!(v["nbformat"], 4);
    let expected =
        original.replace("\"    return sum(centered * centered)\"", "\"    return np.dot(centered, centered)\"");
    assert_ne!(expected, original);
    assert_eq!(fixed, expected);
    let again = numgil().args(["check"]).arg(&path).output().unwrap();
    assert_eq!(again.status.code(), Some(0));
}

#[test]
fn notebooks_are_discovered_in_directories() {
    let out = numgil().args(["check", "fixtures/notebooks", "--output-format", "concise"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("pool_tasks.ipynb:cell 2:7:12: NG101"));
}

#[test]
fn a_broken_notebook_is_an_io_problem_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.ipynb"), "{\"cells\": [").unwrap();
    std::fs::copy(NB, dir.path().join("good.ipynb")).unwrap();
    let out = numgil().args(["check", "--output-format", "concise"]).arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("bad.ipynb:1:1: NG002 not a valid notebook (JSON)"), "{text}");
    assert!(text.contains("good.ipynb:cell 2:7:12: NG101"), "{text}");
}
