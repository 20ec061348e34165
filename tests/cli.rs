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
        "import numpy as np\nfrom concurrent.futures import ThreadPoolExecutor\n\n\ndef task(a, b):\n    return sum(a * b)\n\n\nwith ThreadPoolExecutor() as ex:\n    ex.submit(task, np.ones(100_000), np.ones(100_000))\n",
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
        b"import threading\nimport numpy as np\n\ndef t(a):\n    return max(a)\n\nthreading.Thread(target=t, args=(np.ones(100_000),)).start()\n",
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
fn missing_path_is_an_error_not_a_finding() {
    let out = numgil().args(["check", "does/not/exist", "--output-format", "concise"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no finding: {}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error: path not found: does/not/exist"), "{err}");
    let out = numgil().args(["tasks", "does/not/exist"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "tasks on a missing path");
    assert!(String::from_utf8_lossy(&out.stderr).contains("path not found"));
}

#[test]
fn no_python_files_warns_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "notes.txt", b"hello\n");
    let out = numgil().args(["check", dir.path().to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("No Python files found under the given path(s)"), "{err}");
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

/// A package whose `pipeline.stats.energy` runs in a pool launched from `pipeline.driver`.
fn package(root: &Path, body: &str) {
    std::fs::create_dir_all(root.join("pipeline")).unwrap();
    write(&root.join("pipeline"), "__init__.py", b"");
    write(&root.join("pipeline"), "stats.py", format!("import numpy as np\n\n\n{body}").as_bytes());
    write(
        &root.join("pipeline"),
        "driver.py",
        b"from concurrent.futures import ThreadPoolExecutor\nimport numpy as np\nfrom pipeline.stats import energy\n\n\ndef run(x):\n    with ThreadPoolExecutor() as ex:\n        return list(ex.map(energy, np.array_split(x, 4)))\n",
    );
}

/// Run in `dir`, in concise format unless `args` name a format.
fn concise_in(dir: &Path, args: &[&str]) -> (String, String, i32) {
    let mut cmd = numgil();
    cmd.current_dir(dir).args(args);
    if !args.contains(&"--output-format") {
        cmd.args(["--output-format", "concise"]);
    }
    let out = cmd.output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn configuration_is_per_file_whatever_the_path_order() {
    let dir = tempfile::tempdir().unwrap();
    package(&dir.path().join("pkgA"), "def energy(chunk):\n    return sum(chunk)\n");
    package(&dir.path().join("pkgB"), "def energy(chunk):\n    return max(chunk)\n");
    write(&dir.path().join("pkgA"), "pyproject.toml", b"[tool.numgil]\nignore = [\"NG101\"]\n");
    let (ab, _, _) = concise_in(dir.path(), &["check", "pkgA", "pkgB"]);
    let (ba, _, _) = concise_in(dir.path(), &["check", "pkgB", "pkgA"]);
    assert_eq!(ab, ba, "the same findings in either order");
    assert!(ab.contains("pkgB/pipeline/stats.py:5:12: NG101 builtin `max`"), "{ab}");
    assert!(!ab.contains("pkgA/"), "pkgA's own configuration ignores NG101: {ab}");
    // `--config` governs every file.
    write(dir.path(), "all.toml", b"select = [\"NG101\"]\n");
    let (forced, _, _) = concise_in(dir.path(), &["check", "pkgA", "pkgB", "--config", "all.toml"]);
    assert!(forced.contains("pkgA/pipeline/stats.py:5:12") && forced.contains("pkgB/"), "{forced}");
}

#[test]
fn colliding_module_paths_keep_findings_in_their_files() {
    let dir = tempfile::tempdir().unwrap();
    package(&dir.path().join("pkgA"), "def energy(chunk):\n    return sum(chunk)\n");
    package(
        &dir.path().join("pkgB"),
        "def energy(chunk):\n    return np.sum(chunk)\n\n\ndef spread(chunk):\n    return max(chunk)\n",
    );
    let (out, _, code) = concise_in(dir.path(), &["check", "pkgA", "pkgB"]);
    assert_eq!(code, 1);
    assert!(out.contains("pkgA/pipeline/stats.py:5:12: NG101"), "{out}");
    assert!(!out.contains("pkgB/pipeline/stats.py"), "pkgB's energy is clean and spread never runs: {out}");
    let out = numgil().current_dir(dir.path()).args(["tasks", "pkgA", "pkgB"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("runs  pkgA/pipeline.stats.energy"), "{text}");
    assert!(text.contains("runs  pkgB/pipeline.stats.energy"), "{text}");
    let (json, _, _) = concise_in(dir.path(), &["check", "pkgA", "pkgB", "--output-format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["task"]["chain"][0], "pkgA/pipeline.stats.energy", "{json}");
}

#[test]
fn overlapping_paths_report_each_finding_once() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "report.py", b"import numpy as np\n\n\ndef f():\n    return sum(np.ones(100_000))\n");
    let (out, _, _) = concise_in(dir.path(), &["check", "report.py", ".", "./report.py", "--scope", "everywhere"]);
    assert_eq!(out.matches("NG101").count(), 1, "{out}");
    assert!(out.starts_with("report.py:5:12: NG101"), "no ./ prefix: {out}");
    assert!(out.contains("Found 1 error in 1 file."), "{out}");
}

#[test]
fn a_named_file_keeps_its_project_context() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pyproject.toml", b"[project]\nname = \"p\"\n");
    package(dir.path(), "def energy(chunk):\n    return sum(chunk)\n");
    let sub = dir.path().join("pipeline");
    // From the project root, from inside the package, and as stdin.
    let (out, _, code) = concise_in(dir.path(), &["check", "pipeline/stats.py"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("pipeline/stats.py:5:12: NG101"), "the launcher is in driver.py: {out}");
    let (out, _, _) = concise_in(&sub, &["check", "stats.py"]);
    assert!(out.contains("stats.py:5:12: NG101"), "{out}");
    let out = numgil()
        .current_dir(dir.path())
        .args(["check", "--stdin-filename", "pipeline/stats.py", "--output-format", "concise"])
        .write_stdin("import numpy as np\n\n\ndef energy(chunk):\n    return min(chunk)\n")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("pipeline/stats.py:5:12: NG101 builtin `min`"), "{text}");
    assert!(!text.contains("driver.py"), "only the named file is reported: {text}");
    // The other files are analysed, not reported.
    let (only_driver, _, _) = concise_in(dir.path(), &["check", "pipeline/driver.py"]);
    assert!(only_driver.contains("All checks passed!"), "{only_driver}");
}

#[test]
fn exit_zero_holds_for_an_invalid_notebook() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bad.ipynb", b"{not json");
    let d = dir.path().to_str().unwrap();
    let (out, code) = stdout_of(&["check", d, "--exit-zero", "--output-format", "concise"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("NG002"), "still reported: {out}");
    let (_, code) = stdout_of(&["check", d, "--output-format", "concise"]);
    assert_eq!(code, 2);
}

#[test]
fn min_speedup_must_be_a_finite_non_negative_number() {
    for bad in ["NaN", "inf", "-1", "fast"] {
        let out = numgil().args(["check", "fixtures/demo", "--min-speedup", bad]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "--min-speedup {bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--min-speedup"), "{bad}");
    }
    let (_, code) = stdout_of(&["check", "fixtures/demo", "--min-speedup", "1.5"]);
    assert_eq!(code, 1);
}

#[test]
fn closed_stdout_ends_quietly() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("import numpy as np\n\n\ndef f(a):\n");
    for _ in 0..3000 {
        text.push_str("    sum(np.ones(100_000))\n");
    }
    write(dir.path(), "many.py", text.as_bytes());
    for format in ["concise", "full", "json", "github"] {
        let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("numgil"))
            .args(["check", dir.path().to_str().unwrap(), "--scope", "everywhere", "--output-format", format])
            .env("NO_COLOR", "1")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        // The reader is dropped here, like `| head -1`.
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!first.is_empty());
        assert!(err.is_empty(), "{format}: nothing on stderr: {err}");
        assert_eq!(out.status.code(), Some(0), "{format}");
    }
}

#[test]
fn config_errors_have_no_code_header() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.py", b"x = 1\n");
    write(dir.path(), "numgil.toml", b"select = [\"NG1\", \"NG9\"]\n");
    let out = numgil().args(["check", dir.path().to_str().unwrap()]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("numgil::config"), "{err}");
    assert_eq!(err.matches("unknown rule selector").count(), 1, "{err}");
    assert!(err.trim_start().starts_with("× unknown rule selector `NG9`"), "{err}");
    assert!(err.contains("numgil.toml:1:18"), "{err}");
}

#[test]
fn fixable_findings_are_marked_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.py"), FIXABLE).unwrap();
    let (out, _, code) = concise_in(dir.path(), &["check", "."]);
    assert_eq!(code, 1);
    insta::assert_snapshot!("fixable_concise", out);
    let (out, _, _) = concise_in(dir.path(), &["check", ".", "--unsafe-fixes"]);
    insta::assert_snapshot!("fixable_concise_unsafe", out);
    let full = numgil().current_dir(dir.path()).args(["check", "."]).output().unwrap();
    let full = String::from_utf8_lossy(&full.stdout);
    // Both fixes are unsafe (NG107: negative strides round differently): no mark without
    // --unsafe-fixes, and --fix says how to enable them.
    assert!(full.contains("NG107 gil-holding-numpy-call"), "{full}");
    assert!(full.contains("NG201 unfused-dot-product"), "unsafe: no mark without --unsafe-fixes: {full}");
    let unsafe_full = numgil().current_dir(dir.path()).args(["check", ".", "--unsafe-fixes"]).output().unwrap();
    let unsafe_full = String::from_utf8_lossy(&unsafe_full.stdout);
    assert!(unsafe_full.contains("NG107 [*] gil-holding-numpy-call"), "{unsafe_full}");
    let (out, _, _) = concise_in(dir.path(), &["check", ".", "--fix"]);
    assert!(
        out.contains("Fixed 0 findings (2 remaining).\n2 hidden fixes can be enabled with the --unsafe-fixes option."),
        "{out}"
    );
    let (json, _, _) = concise_in(dir.path(), &["check", ".", "--output-format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let fix = &v[0]["fix"];
    assert_eq!(fix["applicability"], "unsafe", "{json}");
    assert_eq!(fix["edits"][0]["content"], "np.dot(a, b)", "{json}");
}

#[test]
fn statistics_honour_json() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("job.py"), FIXABLE).unwrap();
    let (out, _, _) = concise_in(dir.path(), &["check", ".", "--statistics", "--output-format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON statistics");
    let codes: Vec<(&str, bool)> =
        v.as_array().unwrap().iter().map(|s| (s["code"].as_str().unwrap(), s["fixable"].as_bool().unwrap())).collect();
    assert_eq!(codes, [("NG107", false), ("NG201", false)], "{out}");
    assert_eq!(v[0]["count"], 1);
    assert_eq!(v[0]["name"], "gil-holding-numpy-call");
}

#[test]
fn json_urls_are_absolute_and_filenames_plain() {
    let (out, _) = stdout_of(&["check", "./fixtures/demo", "--output-format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for d in v.as_array().unwrap() {
        let name = d["filename"].as_str().unwrap();
        assert!(!name.starts_with("./") && name.starts_with("fixtures/demo/"), "{name}");
        assert!(!d["task"]["site"]["filename"].as_str().unwrap().starts_with("./"));
        assert_eq!(d["url"], "https://github.com/numgil/numgil/blob/main/rules/NG101.md");
    }
    let (sarif, _) = stdout_of(&["check", "fixtures/demo", "--output-format", "sarif"]);
    assert!(sarif.contains("\"helpUri\": \"https://github.com/numgil/numgil/blob/main/rules/NG101.md\""));
}

#[test]
fn rule_docs_are_printed_without_the_generated_marker() {
    let (out, code) = stdout_of(&["rule", "NG101"]);
    assert_eq!(code, 0);
    assert!(!out.contains("<!-- generated"), "{out}");
    let (all, _) = stdout_of(&["rule", "--all"]);
    assert!(!all.contains("<!--"));
    let on_disk = std::fs::read_to_string("rules/NG101.md").unwrap();
    assert!(on_disk.contains("<!-- generated"), "the committed page keeps it");
}

#[cfg(unix)]
#[test]
fn control_characters_in_file_names_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let name = "evil\n\u{202e}yp.py";
    write(dir.path(), name, b"import numpy as np\n\n\ndef f():\n    return sum(np.ones(100_000))\n");
    for format in ["concise", "full", "github"] {
        let (out, _, _) = concise_in(dir.path(), &["check", ".", "--scope", "everywhere", "--output-format", format]);
        assert!(out.contains("evil\\n\\u{202e}yp.py"), "{format}: {out}");
        assert!(!out.contains('\u{202e}') && !out.contains("evil\n"), "{format}: {out}");
    }
    let (json, _, _) = concise_in(dir.path(), &["check", ".", "--scope", "everywhere", "--output-format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["filename"], name, "JSON keeps the real name");
}

#[test]
fn tasks_tree_each_function_once() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "work.py",
        b"import threading\nfrom concurrent.futures import ThreadPoolExecutor\n\n\ndef leaf(x):\n    return x\n\n\ndef left(x):\n    return leaf(x)\n\n\ndef right(x):\n    return leaf(x) + right(x)\n\n\ndef entry(x):\n    return left(x) + right(x)\n\n\nclass Job:\n    def start(self, xs):\n        with ThreadPoolExecutor() as ex:\n            ex.map(entry, xs)\n            ex.submit(self.handler, xs)\n",
    );
    let out = numgil().current_dir(dir.path()).args(["tasks", "."]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    insta::assert_snapshot!("tasks_tree", text);
    assert_eq!(text.matches("── work.leaf\n").count(), 1, "{text}");
    assert!(text.contains("work.leaf … (see above)"), "{text}");
    assert!(text.contains("runs  <unresolved: self.handler>"), "{text}");
    assert!(text.lines().all(|l| l.chars().count() <= 100));
    let verbose = numgil().current_dir(dir.path()).args(["tasks", ".", "--verbose"]).output().unwrap();
    let verbose = String::from_utf8_lossy(&verbose.stdout);
    assert!(verbose.contains("chain  work.entry → work.left → work.leaf"), "{verbose}");
}

/// Outside tasks, a finding on data of unknown size is hidden, `check` says so, `--fix` leaves
/// it alone, and `--include-small` brings it back.
#[test]
fn everywhere_hides_unsized_findings_outside_tasks_and_fix_leaves_them() {
    let dir = tempfile::tempdir().unwrap();
    let text = "import numpy as np\n\n\ndef peak(x):\n    x = np.ravel(x)\n    return max(x)\n";
    let file = dir.path().join("lib.py");
    std::fs::write(&file, text).unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["check", "--scope", "everywhere", "--output-format", "concise"];
        args.extend_from_slice(extra);
        let out = numgil().current_dir(dir.path()).args(&args).arg("lib.py").output().expect("runs");
        (String::from_utf8_lossy(&out.stdout).to_string(), String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (out, err) = run(&[]);
    assert!(!out.contains("NG101"), "{out}");
    assert!(err.contains("1 finding not shown: 1 outside thread tasks on data of unknown size"), "{err}");
    let (out, _) = run(&["--include-small"]);
    assert!(out.contains("lib.py:6:12: NG101"), "{out}");
    run(&["--fix", "--unsafe-fixes"]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text, "a hidden finding is not fixed");
    run(&["--fix", "--unsafe-fixes", "--include-small"]);
    assert!(std::fs::read_to_string(&file).unwrap().contains("np.max(x)"), "a shown finding is fixed");
}

/// `numgil check --output-format concise <extra> <name>` on one file holding `text`, in a
/// fresh directory: its stdout.
fn concise_check_of_one_file(name: &str, text: &str, extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(name), text).unwrap();
    let out = numgil()
        .current_dir(dir.path())
        .args(["check", "--output-format", "concise"])
        .args(extra)
        .arg(name)
        .output()
        .expect("runs");
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Shapes flow from literal constructor dims through subscripts: a row of `randn(2, 1000)`
/// has 1000 elements, so a loop over it and `sum` of it are reported outside tasks, while a
/// row of its `.T` has 2 elements, where `np.sum` is slower than the builtin (hidden).
#[test]
fn everywhere_sizes_rows_from_literal_shapes() {
    let text = "import numpy as np\n\n\ndef test():\n    data = np.random.randn(2, 1000)\n    total = 0.0\n    for ii in data[0, :]:\n        total += ii * 2.0\n    return total + sum(data[1, :]) + sum(data.T[5])\n";
    let stdout = concise_check_of_one_file("lib.py", text, &["--scope", "everywhere"]);
    assert!(stdout.contains("lib.py:7:5: NG102"), "{stdout}");
    assert!(stdout.contains("lib.py:9:20: NG101"), "{stdout}");
    assert!(!stdout.contains("lib.py:9:38: NG101"), "{stdout}");
}

/// NG301 names the task a process pool runs, through a closure factory and a library
/// function included (`parallel_func(np.dot, n_jobs)`, as mne writes it).
#[test]
fn process_pool_finding_names_library_tasks() {
    let text = "from joblib import Parallel, delayed\nimport numpy as np\n\n\ndef parallel_func(func, n_jobs):\n    def run_verbose(*args, **kwargs):\n        return func(*args, **kwargs)\n\n    return Parallel(n_jobs=n_jobs), delayed(run_verbose)\n\n\ndef grams(epochs, n_jobs):\n    parallel, p_fun = parallel_func(np.dot, n_jobs)\n    return parallel(p_fun(e, e.T) for e in np.array_split(epochs, n_jobs))\n";
    let stdout = concise_check_of_one_file("job.py", text, &[]);
    assert!(stdout.contains("NG301") && stdout.contains("for a task (`numpy.dot`)"), "{stdout}");
}

/// NG301 on tasks the code sizes: rows of 1,000 elements are too small for any pool (the advice
/// is to batch, and no processes-vs-threads figure is quoted); rows of 100,000 get the threads
/// advice and a figure measured near that size.
#[test]
fn process_pool_small_tasks_get_batching_advice_and_no_figure() {
    let dir = tempfile::tempdir().unwrap();
    let text = "from multiprocessing import Pool\n\nimport numpy as np\n\n\ndef f(x):\n    return x * x\n\n\ndef main():\n    small = np.random.rand(1000, 1000)\n    large = np.zeros((8, 100_000))\n    with Pool(4) as p:\n        a = p.map(f, small)\n        b = p.map(f, large)\n    return a, b\n";
    std::fs::write(dir.path().join("pool.py"), text).unwrap();
    let out =
        numgil().current_dir(dir.path()).args(["check", "--output-format", "json", "pool.py"]).output().expect("runs");
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let at = |row: u64| {
        findings
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == "NG301" && f["location"]["row"] == row)
            .unwrap_or_else(|| panic!("no NG301 at row {row}: {findings}"))
            .clone()
    };
    let small = at(14);
    assert!(small["message"].as_str().unwrap().contains("at most 1,000 elements"), "{small}");
    assert!(small["help"].as_str().unwrap().contains("whole array in one call"), "{small}");
    assert!(small["evidence"].is_null(), "{small}");
    assert_eq!(small["elements"], 1000, "{small}");
    let large = at(15);
    assert!(large["message"].as_str().unwrap().contains("threads could run without copies"), "{large}");
    assert!(large["help"].as_str().unwrap().contains("ThreadPoolExecutor"), "{large}");
    assert_eq!(large["elements"], 100_000, "{large}");
    assert!(!large["evidence"].is_null(), "{large}");
}
