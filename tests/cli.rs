//! The `numgil` binary end to end: rendered output (insta snapshots, colour off, fixed width),
//! exit codes, unreadable files and `numgil tasks`.

use assert_cmd::Command;
use std::path::Path;

fn numgil() -> Command {
    let mut c = Command::cargo_bin("numgil").expect("binary builds");
    // No host profile: findings quote the committed reference figures, deterministically.
    c.env("NO_COLOR", "1").env("COLUMNS", "100").env("NUMGIL_CACHE_DIR", "target/test-cache-none");
    c
}

fn stdout_of(args: &[&str]) -> (String, i32) {
    let out = numgil().args(args).output().expect("runs");
    (String::from_utf8_lossy(&out.stdout).to_string(), out.status.code().unwrap_or(-1))
}

#[test]
fn demo_full_output() {
    let (out, code) = stdout_of(&["check", "fixtures/demo"]);
    assert_eq!(code, 1);
    assert!(!out.contains('\u{1b}'), "no colour when stdout is not a terminal");
    insta::assert_snapshot!("demo_full", out);
}

#[test]
fn demo_concise_output() {
    let (out, code) = stdout_of(&["check", "fixtures/demo", "--output-format", "concise"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("demo_concise", out);
}

#[test]
fn demo_json_output() {
    let (out, code) = stdout_of(&["check", "fixtures/demo", "--output-format", "json"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let first = &v[0];
    for key in ["code", "message", "filename", "location", "end_location", "fix", "url", "noqa_row", "task"] {
        assert!(first.get(key).is_some(), "missing key {key}");
    }
    insta::assert_snapshot!("demo_json", out);
}

#[test]
fn json_lines_one_object_per_line() {
    let (out, _) = stdout_of(&["check", "fixtures/demo", "--output-format", "json-lines"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 4);
    for l in lines {
        let v: serde_json::Value = serde_json::from_str(l).expect("each line is JSON");
        assert_eq!(v["code"], "NG101");
        assert_eq!(v["task"]["kind"], "thread");
    }
}

#[test]
fn scope_everywhere_reports_code_outside_tasks() {
    let (out, _) = stdout_of(&["check", "fixtures/demo", "--scope", "everywhere", "--output-format", "concise"]);
    assert!(out.contains("fixtures/demo/report.py:7:16: NG101"), "{out}");
    let (tasks_only, _) = stdout_of(&["check", "fixtures/demo", "--output-format", "concise"]);
    assert!(!tasks_only.contains("report.py"));
}

#[test]
fn seed_case_names_the_submit_site() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("seed.py"),
        "import numpy as np\nfrom concurrent.futures import ThreadPoolExecutor\n\n\ndef task(a, b):\n    return sum(a * b)\n\n\nwith ThreadPoolExecutor() as ex:\n    ex.submit(task, np.ones(10), np.ones(10))\n",
    )
    .unwrap();
    let (out, code) = stdout_of(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.contains("NG101"), "{out}");
    assert!(out.contains("runs in a thread task: ThreadPoolExecutor.submit at"), "{out}");
    assert!(out.contains("seed.py:10 → task"), "{out}");
    assert!(out.contains("np.dot(a, b)"), "{out}");
}

#[test]
fn tasks_two_modules() {
    let (out, code) = stdout_of(&["tasks", "fixtures/NG101/cross_module_absolute"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("tasks_cross_module", out);
}

#[test]
fn tasks_json() {
    let (out, _) = stdout_of(&["tasks", "fixtures/demo", "--output-format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let sites = v["sites"].as_array().unwrap();
    let map = sites.iter().find(|s| s["entries"][0] == "pipeline.stats.energy").unwrap();
    assert_eq!(map["launcher"], "ThreadPoolExecutor.map");
    assert_eq!(map["kind"], "thread");
    assert!(map["reaches"].as_array().unwrap().iter().any(|r| r["function"] == "pipeline.stats._center"));
}

#[test]
fn clean_code_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.py"), "import numpy as np\nprint(np.sum(np.ones(3)))\n").unwrap();
    let (out, code) = stdout_of(&["check", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("All checks passed!"));
}

#[test]
fn usage_error_exits_two() {
    let out = numgil().args(["check", "--output-format", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = numgil().args(["check", "--exclude", "[bad"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid exclude pattern"));
}

fn write(dir: &Path, name: &str, text: &[u8]) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn unreadable_files_are_reported_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "latin1.py", b"x = 1\n# caf\xe9\n");
    write(
        dir.path(),
        "task.py",
        b"import threading\nimport numpy as np\n\ndef t(a):\n    return max(a)\n\nthreading.Thread(target=t, args=(np.ones(5),)).start()\n",
    );
    let (out, code) = stdout_of(&["check", dir.path().to_str().unwrap(), "--output-format", "concise"]);
    assert_eq!(code, 2, "an I/O problem exits 2: {out}");
    assert!(out.contains("latin1.py:2:6: NG002 file is not valid UTF-8"), "{out}");
    assert!(out.contains("task.py:5:12: NG101"), "other files are still checked: {out}");
}

#[cfg(unix)]
#[test]
fn directory_loop_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("pkg");
    std::fs::create_dir(&sub).unwrap();
    write(&sub, "a.py", b"x = 1\n");
    std::os::unix::fs::symlink(dir.path(), sub.join("loop")).unwrap();
    let (out, code) = stdout_of(&["check", dir.path().to_str().unwrap(), "--output-format", "concise"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("NG002 directory loop"), "{out}");
}

#[test]
fn missing_path_is_an_io_problem() {
    let (out, code) = stdout_of(&["check", "does/not/exist", "--output-format", "concise"]);
    assert_eq!(code, 2);
    assert!(out.contains("does/not/exist:1:1: NG002 no such file or directory"), "{out}");
}

#[test]
fn exclude_skips_matching_files() {
    let (out, _) = stdout_of(&["check", "fixtures/demo", "--exclude", "stats.py", "--output-format", "concise"]);
    assert!(!out.contains("stats.py"), "{out}");
    assert!(out.contains("driver.py"), "{out}");
}

const FIXABLE: &str = "import numpy as np\nfrom concurrent.futures import ThreadPoolExecutor\n\n\ndef task(a, b):\n    d = a @ b\n    s = np.sum(a * b)\n    return d, s\n\n\nwith ThreadPoolExecutor() as ex:\n    ex.submit(task, np.ones(10), np.ones(10))\n";

#[test]
fn fix_applies_safe_fixes_then_unsafe_ones() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("job.py");
    std::fs::write(&file, FIXABLE).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o750)).unwrap();
    }
    let d = dir.path().to_str().unwrap();
    let (out, code) = stdout_of(&["check", d, "--fix", "--output-format", "concise"]);
    assert_eq!(code, 1, "the unsafe NG107 and NG201 fixes are not applied without --unsafe-fixes: {out}");
    assert!(out.contains("Fixed 0 findings (2 remaining)."), "{out}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text, FIXABLE, "only safe fixes are applied without --unsafe-fixes");
    let (out, code) = stdout_of(&["check", d, "--fix", "--unsafe-fixes", "--output-format", "concise"]);
    assert_eq!(code, 0, "{out}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("d = np.dot(a, b)") && text.contains("s = np.dot(a, b)"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o750, "permissions kept");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary files left behind");
}

#[test]
fn diff_shows_fixes_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("job.py");
    std::fs::write(&file, FIXABLE).unwrap();
    let (out, code) = stdout_of(&["check", dir.path().to_str().unwrap(), "--diff", "--unsafe-fixes"]);
    assert_eq!(code, 1);
    assert!(out.contains("-    d = a @ b\n") && out.contains("+    d = np.dot(a, b)\n"), "{out}");
    assert!(out.contains("+    s = np.dot(a, b)"), "{out}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), FIXABLE, "--diff never writes");
}

#[test]
fn files_with_syntax_errors_are_never_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("job.py");
    let broken = format!("{FIXABLE}\nx = (1,\n");
    std::fs::write(&file, &broken).unwrap();
    let (_, code) = stdout_of(&["check", dir.path().to_str().unwrap(), "--fix", "--unsafe-fixes"]);
    assert_eq!(code, 1);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), broken);
}

#[test]
fn select_and_ignore() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.py"), FIXABLE).unwrap();
    let d = dir.path().to_str().unwrap();
    let (out, _) = stdout_of(&["check", d, "--select", "NG201", "--output-format", "concise"]);
    assert!(out.contains("NG201") && !out.contains("NG107"), "{out}");
    let (out, _) = stdout_of(&["check", d, "--ignore", "NG2", "--output-format", "concise"]);
    assert!(out.contains("NG107") && !out.contains("NG201"), "{out}");
    let out = numgil().args(["check", d, "--select", "NG999"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn configuration_is_read_and_errors_point_into_the_toml() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.py"), FIXABLE).unwrap();
    let d = dir.path().to_str().unwrap();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[project]\nname = \"x\"\n\n[tool.numgil]\nignore = [\"NG107\"]\n",
    )
    .unwrap();
    let (out, _) = stdout_of(&["check", d, "--output-format", "concise"]);
    assert!(out.contains("NG201") && !out.contains("NG107"), "{out}");

    std::fs::write(dir.path().join("pyproject.toml"), "[tool.numgil]\nslect = [\"NG1\"]\n").unwrap();
    let out = numgil().args(["check", d]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown field `slect`"), "{err}");
    assert!(err.contains("pyproject.toml:2:1"), "span into the TOML: {err}");

    std::fs::write(dir.path().join("numgil.toml"), "select = [\"NG1\", \"NG9\"]\n").unwrap();
    let out = numgil().args(["check", d]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown rule selector `NG9`") && err.contains("numgil.toml:1:18"), "{err}");
}
