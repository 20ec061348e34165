//! Output formats for CI and code scanning: SARIF validated against the official 2.1.0 schema,
//! GitHub workflow commands, `--statistics`, `--exit-zero`, and `--stdin-filename`.

mod common;

use assert_cmd::Command;

fn numgil() -> Command {
    let mut c = Command::cargo_bin("numgil").unwrap();
    c.env("NO_COLOR", "1").env("NUMGIL_CACHE_DIR", common::target_dir().join("test-cache-none"));
    c
}

#[test]
fn sarif_validates_against_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out.sarif");
    // The demo (thread tasks, related locations) plus a broken file (NG001 errors).
    let out = numgil().args(["check", "fixtures/demo", "fixtures/NG001", "--output-format", "sarif"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    std::fs::write(&sarif, &out.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "NG101" && r["relatedLocations"].is_array()));
    assert!(results.iter().any(|r| r["ruleId"] == "NG001" && r["level"] == "error"));
    let check = std::process::Command::new(common::python())
        .args([
            "-c",
            "import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))); print('valid')",
        ])
        .arg(&sarif)
        .arg(common::sarif_schema())
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));
}

#[test]
fn github_annotations() {
    let out = numgil().args(["check", "fixtures/demo", "--output-format", "github"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("::warning file=fixtures/demo/pipeline/stats.py,line=7,col=12,")
            && l.contains("title=NG101 builtin-reduction-over-array::builtin `max`")
            && l.contains("%0Aruns in a thread task")),
        "{text}"
    );
}

#[test]
fn statistics_and_exit_zero() {
    let out = numgil().args(["check", "fixtures/demo", "--statistics", "--exit-zero"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "4\tNG101\tbuiltin-reduction-over-array\n");
}

#[test]
fn stdin_is_checked_as_the_given_path() {
    let src = "import numpy as np\nimport threading\n\ndef t(a):\n    return max(a)\n\nthreading.Thread(target=t, args=(np.ones(100_000),)).start()\n";
    let out = numgil()
        .args(["check", "--stdin-filename", "pkg/job.py", "--output-format", "concise"])
        .write_stdin(src)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("pkg/job.py:5:12: NG101"));
    // With --fix, the fixed source goes to stdout.
    let fixed = numgil()
        .args(["check", "--stdin-filename", "pkg/job.py", "--fix", "--unsafe-fixes"])
        .write_stdin(src)
        .output()
        .unwrap();
    assert_eq!(fixed.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&fixed.stdout).contains("return np.max(a)"));
    // Stdin replaces the file of that name within a checked project.
    let demo = numgil()
        .args(["check", "fixtures/demo", "--stdin-filename", "fixtures/demo/pipeline/stats.py", "--output-format", "concise"])
        .write_stdin("import numpy as np\n\n\ndef spread(chunk):\n    return np.ptp(chunk)\n\n\ndef energy(chunk):\n    return float(np.dot(chunk, chunk))\n\n\ndef summary(values):\n    return sum(values) / len(values)\n")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&demo.stdout);
    assert!(!text.contains("stats.py") && text.contains("driver.py:17:12: NG101"), "{text}");
}
