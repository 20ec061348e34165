//! Inputs that used to hang, crash or flood: special files, oversized files, floods of syntax
//! errors, very long lines, deeply nested code, broken notebook cells, and the files `--fix`
//! writes (symlinks, hard links, owners, read-only files, stale temporary files). Every test
//! runs the binary under a timeout, so a hang fails the test instead of blocking the suite.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(60);

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Run numgil with `args` in `dir`, killed after [`TIMEOUT`] (the test then fails).
fn numgil_in(dir: &Path, args: &[&str]) -> Run {
    numgil_with(dir, args, Stdio::null())
}

/// [`numgil_in`] with `stdin`.
fn numgil_with(dir: &Path, args: &[&str], stdin: Stdio) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_numgil"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env("NUMGIL_CACHE_DIR", dir.join(".no-cache"))
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("numgil starts");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("numgil {args:?} did not finish within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = String::from_utf8_lossy(&reader.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_reader.join().unwrap_or_default()).into_owned();
    assert!(!stderr.contains("panicked"), "numgil {args:?} panicked: {stderr}");
    assert!(!stderr.contains("overflow"), "numgil {args:?} overflowed its stack: {stderr}");
    Run { code: status.code(), stdout, stderr }
}

fn json_findings(dir: &Path, args: &[&str]) -> (Option<i32>, Vec<Value>) {
    let mut all = args.to_vec();
    all.extend(["--output-format", "json"]);
    let r = numgil_in(dir, &all);
    let v: Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("JSON ({e}): {}", r.stdout));
    (r.code, v.as_array().cloned().unwrap_or_default())
}

fn codes(findings: &[Value]) -> Vec<String> {
    findings.iter().map(|f| f["code"].as_str().unwrap_or_default().to_string()).collect()
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().expect("mkfifo runs").success();
    assert!(ok, "mkfifo {}", path.display());
}

/// A task module with one NG101 (the positive finding that must survive).
const TASK: &str = "import numpy as np\nfrom concurrent.futures import ThreadPoolExecutor\n\n\ndef task(chunk):\n    return sum(chunk)\n\n\nThreadPoolExecutor().submit(task, np.zeros(1000))\n";

fn io_messages(findings: &[Value]) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f["code"] == "NG002")
        .map(|f| {
            format!("{} {}", f["filename"].as_str().unwrap_or_default(), f["message"].as_str().unwrap_or_default())
        })
        .collect()
}

#[test]
fn fifo_walked_or_named_is_skipped_not_read() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("x.py"));
    std::fs::write(dir.path().join("ok.py"), TASK).unwrap();
    let (code, f) = json_findings(dir.path(), &["check", "."]);
    assert_eq!(code, Some(2), "an unreadable file exits 2: {f:?}");
    let io = io_messages(&f);
    assert_eq!(io.len(), 1, "{io:?}");
    assert!(io[0].contains("x.py") && io[0].contains("not a regular file (a FIFO)"), "{io:?}");
    assert!(codes(&f).contains(&"NG101".to_string()), "the other file is still checked: {f:?}");
    let (code, f) = json_findings(dir.path(), &["check", "x.py"]);
    assert_eq!(code, Some(2));
    assert!(io_messages(&f)[0].contains("not a regular file (a FIFO)"), "{f:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn symlink_to_dev_zero_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.py")).unwrap();
    for args in [&["check", "."][..], &["check", "zero.py"]] {
        let (code, f) = json_findings(dir.path(), args);
        assert_eq!(code, Some(2));
        let io = io_messages(&f);
        assert!(io.len() == 1 && io[0].contains("not a regular file (a character device)"), "{io:?}");
    }
}

#[test]
fn socket_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let _listener = std::os::unix::net::UnixListener::bind(dir.path().join("s.py")).unwrap();
    let (code, f) = json_findings(dir.path(), &["check", "."]);
    assert_eq!(code, Some(2));
    assert!(io_messages(&f)[0].contains("not a regular file (a socket)"), "{f:?}");
}

#[test]
fn file_over_the_size_cap_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = std::fs::File::create(dir.path().join("big.py")).unwrap();
    f.set_len(33 * 1024 * 1024).unwrap();
    std::fs::write(dir.path().join("ok.py"), TASK).unwrap();
    let (code, f) = json_findings(dir.path(), &["check", "."]);
    assert_eq!(code, Some(2));
    let io = io_messages(&f);
    assert!(io.len() == 1 && io[0].contains("file too large (33 MiB > 32 MiB)"), "{io:?}");
    assert!(codes(&f).contains(&"NG101".to_string()));
}

/// A language-server client just good enough for `initialize`.
fn server_initialize(root: &Path) -> Value {
    let mut child = Command::new(env!("CARGO_BIN_EXE_numgil"))
        .arg("server")
        .env("NUMGIL_CACHE_DIR", root.join(".no-cache"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim();
            if line.is_empty() {
                break;
            }
            if let Some(v) = line.strip_prefix("Content-Length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; len];
        if r.read_exact(&mut body).is_ok() {
            let _ = tx.send(serde_json::from_slice::<Value>(&body).unwrap_or_default());
        }
    });
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": { "processId": null, "rootUri": format!("file://{}", root.display()), "capabilities": {} } })
    .to_string();
    write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    stdin.flush().unwrap();
    let answer = rx.recv_timeout(TIMEOUT);
    let _ = child.kill();
    let _ = child.wait();
    answer.expect("the server answers `initialize`")
}

#[test]
fn server_initialize_answers_with_a_fifo_and_a_deep_file_in_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("x.py"));
    std::fs::write(dir.path().join("deep.py"), format!("x = {}1{}\n", "[".repeat(9000), "]".repeat(9000))).unwrap();
    std::fs::write(dir.path().join("ok.py"), TASK).unwrap();
    let answer = server_initialize(dir.path());
    assert!(answer["result"]["capabilities"].is_object(), "{answer}");
}

#[test]
fn floods_of_syntax_errors_give_a_bounded_number_of_findings_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("nul.py"), vec![0u8; 1024 * 1024]).unwrap();
    std::fs::write(dir.path().join("close.py"), ")".repeat(1024 * 1024)).unwrap();
    std::fs::write(dir.path().join("unknown.py"), "?".repeat(1024 * 1024)).unwrap();
    let expect = [
        ("nul.py", "source code cannot contain null bytes (1048576 found"),
        ("close.py", "more syntax errors (only the first 10 are reported)"),
        ("unknown.py", "not Python source"),
    ];
    for (name, message) in expect {
        let (code, f) = json_findings(dir.path(), &["check", name]);
        assert_eq!(code, Some(1));
        assert!(f.len() <= 11, "{name}: {} findings", f.len());
        assert!(f.iter().all(|d| d["code"] == "NG001"));
        let last = f.last().and_then(|d| d["message"].as_str()).unwrap_or_default();
        assert!(last.contains(message), "{name}: {last}");
        for format in ["full", "concise", "json", "json-lines", "sarif", "github"] {
            let r = numgil_in(dir.path(), &["check", name, "--output-format", format]);
            assert_eq!(r.code, Some(1), "{name} {format}: {}", r.stderr);
            assert!(r.stdout.len() < 64 * 1024, "{name} {format}: {} bytes of output", r.stdout.len());
        }
    }
}

#[test]
fn finding_past_column_65535_renders_in_full_output() {
    let dir = tempfile::tempdir().unwrap();
    let long = format!("import numpy as np\nx = [{}sum(np.arange(100_000))]\ny = (1\n", "0, ".repeat(33_000));
    std::fs::write(dir.path().join("long.py"), long).unwrap();
    let r = numgil_in(dir.path(), &["check", "--scope", "everywhere", "long.py"]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stdout.contains("NG101") && r.stdout.contains("not shown"), "{}", &r.stdout[..r.stdout.len().min(2000)]);
    assert!(r.stdout.contains("long.py:2:99006"), "{}", &r.stdout[..r.stdout.len().min(2000)]);
    assert!(r.stdout.contains("NG001"), "the short line's syntax error is framed as usual");
    assert!(r.stdout.len() < 16 * 1024, "the long line is not printed");
}

/// Deep inputs from the issue, each next to a task with one NG101 that must still be reported.
fn deep_inputs() -> Vec<(&'static str, String)> {
    let n = 1952;
    let calls = format!("y = {}0{}\n", "f(".repeat(n), ")".repeat(n));
    let chain = format!("y = a{}\n", ".b()".repeat(5028));
    let lists = format!("y = {}0{}\n", "[".repeat(8690), "]".repeat(8690));
    let sum = format!("y = a{}\n", " + a".repeat(8739));
    let mut fors = String::from("def deep(x):\n");
    for i in 1..=3000 {
        fors.push_str(&" ".repeat(i));
        fors.push_str(&format!("for v{i} in x:\n"));
    }
    fors.push_str(&" ".repeat(3001));
    fors.push_str("pass\n\n\nThreadPoolExecutor().submit(deep, np.zeros(100_000))\n");
    vec![("calls", calls), ("chain", chain), ("lists", lists), ("sum", sum), ("fors", fors)]
}

#[test]
fn deep_input_is_skipped_and_the_rest_of_the_file_is_analysed() {
    let dir = tempfile::tempdir().unwrap();
    for (name, deep) in deep_inputs() {
        std::fs::write(dir.path().join(format!("{name}.py")), format!("{TASK}\n{deep}")).unwrap();
    }
    let (code, f) = json_findings(dir.path(), &["check", "."]);
    assert_eq!(code, Some(1));
    for (name, _) in deep_inputs() {
        let file = format!("{name}.py");
        let mine: Vec<&Value> =
            f.iter().filter(|d| d["filename"].as_str().is_some_and(|p| p.ends_with(&file))).collect();
        let skipped =
            mine.iter().filter(|d| d["code"] == "NG001").filter_map(|d| d["message"].as_str()).collect::<Vec<_>>();
        assert!(
            skipped.len() == 1
                && skipped[0].starts_with("too deeply nested to analyse (depth ")
                && skipped[0].ends_with("> 200); this statement is skipped"),
            "{name}: {skipped:?}"
        );
        assert!(mine.iter().any(|d| d["code"] == "NG101" && d["location"]["row"] == 6), "{name}: {mine:?}");
    }
    for format in ["full", "concise", "sarif"] {
        let r = numgil_in(dir.path(), &["check", ".", "--output-format", format]);
        assert_eq!(r.code, Some(1), "{format}");
    }
    let r = numgil_in(dir.path(), &["check", "--fix", "--unsafe-fixes", "."]);
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(std::fs::read_to_string(dir.path().join("sum.py")).unwrap().contains("return np.sum(chunk)"));
}

#[test]
fn ten_thousand_nested_for_loops_do_not_crash() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = String::from(TASK);
    src.push_str("\n\ndef deep(x):\n");
    for i in 1..=10_000 {
        src.push_str(&"\t".repeat(i));
        src.push_str("for v in x:\n");
    }
    src.push_str(&"\t".repeat(10_001));
    src.push_str("pass\n\n\nThreadPoolExecutor().submit(deep, np.zeros(100_000))\n");
    std::fs::write(dir.path().join("fors.py"), &src).unwrap();
    let (code, f) = json_findings(dir.path(), &["check", "fors.py"]);
    // 50 MB of indentation: over the size cap, so refused before it is parsed.
    assert_eq!(code, Some(2), "{f:?}");
    assert!(io_messages(&f)[0].contains("file too large"), "{f:?}");
}

fn notebook(cells: &[&str]) -> String {
    let cells: Vec<Value> = cells
        .iter()
        .map(|c| json!({ "cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [], "source": c }))
        .collect();
    serde_json::to_string_pretty(&json!({ "cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5 }))
        .unwrap()
}

const NB_TASK: &str = "def task(chunk):\n    return sum(chunk)\n";
const NB_LAUNCH: &str = "import numpy as np\nfrom concurrent.futures import ThreadPoolExecutor\nThreadPoolExecutor().submit(task, np.zeros(100_000))\n";

#[test]
fn notebook_unclosed_bracket_stays_in_its_cell() {
    let dir = tempfile::tempdir().unwrap();
    let cells = ["import numpy as np\n", "x = [1\n", "y = sum(np.ones(100_000))\n", NB_TASK, NB_LAUNCH];
    std::fs::write(dir.path().join("nb.ipynb"), notebook(&cells)).unwrap();
    let (code, f) = json_findings(dir.path(), &["check", "--scope", "everywhere", "nb.ipynb"]);
    assert_eq!(code, Some(1));
    let syntax: Vec<&Value> = f.iter().filter(|d| d["code"] == "NG001").collect();
    assert!(!syntax.is_empty() && syntax.iter().all(|d| d["cell"] == 2), "the error is in cell 2: {f:?}");
    assert!(f.iter().any(|d| d["code"] == "NG101" && d["cell"] == 3), "cell 3's finding is kept: {f:?}");
    assert!(f.iter().any(|d| d["code"] == "NG101" && d["cell"] == 4), "cell 4's finding is kept: {f:?}");
}

#[test]
fn notebook_unclosed_triple_quote_does_not_drop_later_cells() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("nb.ipynb"), notebook(&["doc = '''never closed\n", NB_TASK, NB_LAUNCH])).unwrap();
    let (code, f) = json_findings(dir.path(), &["check", "nb.ipynb"]);
    assert_eq!(code, Some(1));
    let syntax: Vec<&Value> = f.iter().filter(|d| d["code"] == "NG001").collect();
    assert!(!syntax.is_empty() && syntax.iter().all(|d| d["cell"] == 1), "{f:?}");
    assert!(f.iter().any(|d| d["code"] == "NG101" && d["cell"] == 2), "the later cells are still analysed: {f:?}");
}

fn fixed(path: &Path) -> bool {
    std::fs::read_to_string(path).unwrap().contains("return np.sum(chunk)")
}

#[test]
fn fix_follows_a_symlink_and_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("real")).unwrap();
    std::fs::write(dir.path().join("real/m.py"), TASK).unwrap();
    std::os::unix::fs::symlink("real/m.py", dir.path().join("link.py")).unwrap();
    let r = numgil_in(dir.path(), &["check", "--fix", "--unsafe-fixes", "link.py"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(std::fs::symlink_metadata(dir.path().join("link.py")).unwrap().file_type().is_symlink());
    assert!(fixed(&dir.path().join("real/m.py")), "the target is fixed");
    assert_eq!(std::fs::read_dir(dir.path().join("real")).unwrap().count(), 1, "no temporary file left");
}

#[test]
fn fix_keeps_hard_links() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.py"), dir.path().join("b.txt"));
    std::fs::write(&a, TASK).unwrap();
    std::fs::hard_link(&a, &b).unwrap();
    let ino = std::fs::metadata(&a).unwrap().ino();
    let r = numgil_in(dir.path(), &["check", "--fix", "--unsafe-fixes", "a.py"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(fixed(&a) && fixed(&b), "both names see the fix");
    assert_eq!(std::fs::metadata(&a).unwrap().ino(), ino);
    assert_eq!(std::fs::metadata(&a).unwrap().nlink(), 2);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no temporary file left");
}

#[test]
fn fix_keeps_owner_and_permissions() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("m.py");
    std::fs::write(&p, TASK).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
    // Another user's file, where the tests run as root (otherwise: our own, still kept).
    let other = std::os::unix::fs::chown(&p, Some(12345), Some(12346)).is_ok();
    let before = std::fs::metadata(&p).unwrap();
    let r = numgil_in(dir.path(), &["check", "--fix", "--unsafe-fixes", "m.py"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    let after = std::fs::metadata(&p).unwrap();
    assert!(fixed(&p));
    assert_eq!((after.uid(), after.gid()), (before.uid(), before.gid()), "owner kept (changed: {other})");
    assert_eq!(after.permissions().mode() & 0o7777, 0o640);
}

#[test]
fn fix_refuses_a_read_only_file_and_fixes_the_others() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (ro, rw) = (dir.path().join("ro.py"), dir.path().join("rw.py"));
    std::fs::write(&ro, TASK).unwrap();
    std::fs::write(&rw, TASK).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o444)).unwrap();
    let r = numgil_in(dir.path(), &["check", "--fix", "--unsafe-fixes", "."]);
    assert_eq!(r.code, Some(2), "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("cannot write ./ro.py") || r.stderr.contains("cannot write ro.py"), "{}", r.stderr);
    assert!(r.stderr.contains("read-only"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&ro).unwrap(), TASK, "the read-only file is unchanged");
    assert_eq!(std::fs::metadata(&ro).unwrap().permissions().mode() & 0o777, 0o444);
    assert!(fixed(&rw), "the other file is still fixed");
}

#[cfg(target_os = "linux")]
#[test]
fn fix_removes_its_own_stale_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("m.py"), TASK).unwrap();
    // A pid that is not running (pids above pid_max never are).
    let dead = (4_000_000..4_194_304).find(|p| !Path::new(&format!("/proc/{p}")).exists()).unwrap();
    let stale = dir.path().join(format!(".m.py.numgil-{dead}.tmp"));
    let alive = dir.path().join(format!(".m.py.numgil-{}.tmp", std::process::id()));
    let unrelated = dir.path().join(".m.py.other.tmp");
    for p in [&stale, &alive, &unrelated] {
        std::fs::write(p, "leftover").unwrap();
    }
    let r = numgil_in(dir.path(), &["check", "--fix", "--unsafe-fixes", "m.py"]);
    assert_eq!(r.code, Some(0), "{}{}", r.stdout, r.stderr);
    assert!(!stale.exists(), "a dead run's temporary file is removed");
    assert!(alive.exists(), "a running process's temporary file is kept");
    assert!(unrelated.exists(), "other files are kept");
}

#[cfg(target_os = "linux")]
#[test]
fn stdin_from_dev_zero_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let r = numgil_with(dir.path(), &["check", "--stdin-filename", "x.py"], Stdio::from(zero));
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("stdin is too large"), "{}", r.stderr);
}

#[test]
fn megabytes_of_open_brackets_or_prefix_operators_are_not_parsed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("parens.py"), "(".repeat(2 << 20)).unwrap();
    std::fs::write(dir.path().join("minus.py"), format!("y = {}1\n", "-".repeat(1 << 20))).unwrap();
    std::fs::write(dir.path().join("ok.py"), TASK).unwrap();
    let (code, f) = json_findings(dir.path(), &["check", "."]);
    assert_eq!(code, Some(1));
    for name in ["parens.py", "minus.py"] {
        let mine: Vec<&Value> =
            f.iter().filter(|d| d["filename"].as_str().is_some_and(|p| p.ends_with(name))).collect();
        assert_eq!(mine.len(), 1, "{name}: {mine:?}");
        assert!(mine[0]["message"].as_str().unwrap_or_default().starts_with("too deeply nested to parse"), "{mine:?}");
    }
    assert!(codes(&f).contains(&"NG101".to_string()));
}
