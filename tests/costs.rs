//! Inputs whose cost used to grow faster than their size: `import numpy as np` repeated in
//! front of 8,000 task functions, 600 nested `for` loops in a task, a 10,000-deep call chain
//! from a task, and 60,000-character identifiers imported across files. Each must finish under
//! a generous timeout (a hang guard, not a speed test: speed is measured by scripts), and the
//! deep chain within bounded memory (its chains were once copied per function: 949 MB).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(120);

/// Run `numgil check` in `dir`; returns (exit code, stdout, peak RSS in KiB).
fn check(dir: &Path) -> (Option<i32>, String, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_numgil"))
        .args(["check", "--output-format", "concise", "."])
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("NUMGIL_CACHE_DIR", dir.join(".no-cache"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("numgil starts");
    let pid = child.id();
    let out = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || std::io::read_to_string(out).unwrap_or_default());
    let start = Instant::now();
    let mut peak = 0u64;
    let status = loop {
        // VmHWM is the process's own peak; read it while the process is alive.
        if let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/status"))
            && let Some(kb) = s.lines().find_map(|l| l.strip_prefix("VmHWM:"))
        {
            peak = peak.max(kb.trim().trim_end_matches("kB").trim().parse().unwrap_or(0));
        }
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("numgil did not finish within {TIMEOUT:?} in {}", dir.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    (status.code(), reader.join().unwrap_or_default(), peak)
}

fn project(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("pyproject.toml"), "[project]\nname = \"costs\"\n").expect("write");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    dir
}

#[test]
fn repeated_imports_in_front_of_eight_thousand_tasks() {
    let mut src = String::from("from concurrent.futures import ThreadPoolExecutor\n");
    for i in 0..8000 {
        src.push_str(&format!("import numpy as np\ndef task{i}(x):\n    return sum(x)\n"));
    }
    src.push_str("def main():\n    with ThreadPoolExecutor() as ex:\n");
    for i in 0..8000 {
        src.push_str(&format!("        ex.submit(task{i}, np.zeros(1000))\n"));
    }
    let dir = project(&[("tasks.py", src)]);
    let (code, out, _) = check(dir.path());
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(out.matches("NG101").count(), 8000, "every task's builtin sum is reported");
}

#[test]
fn six_hundred_nested_loops_in_a_task() {
    let mut src = String::from("from concurrent.futures import ThreadPoolExecutor\nimport numpy as np\ndef task(x):\n");
    let mut indent = String::from("    ");
    for i in 0..600 {
        src.push_str(&format!("{indent}for i{i} in x:\n"));
        indent.push(' ');
    }
    src.push_str(&format!("{indent}pass\n"));
    src.push_str("def other(x):\n    return sum(x)\n");
    src.push_str(
        "with ThreadPoolExecutor() as ex:\n    ex.submit(task, np.zeros(100_000))\n    ex.submit(other, np.zeros(100_000))\n",
    );
    let dir = project(&[("loops.py", src)]);
    let (code, out, _) = check(dir.path());
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("NG101"), "the rest of the file is analysed: {out}");
}

#[test]
fn ten_thousand_deep_call_chain_from_a_task() {
    let mut src = String::from("from concurrent.futures import ThreadPoolExecutor\nimport numpy as np\n");
    for i in 0..10_000 {
        src.push_str(&format!("def f{i}(x):\n    return f{}(x)\n", i + 1));
    }
    src.push_str("def f10000(x):\n    return x\n");
    src.push_str("with ThreadPoolExecutor() as ex:\n    ex.submit(f0, np.zeros(100_000))\n");
    let dir = project(&[("chain.py", src)]);
    let (code, out, peak_kib) = check(dir.path());
    assert!(matches!(code, Some(0 | 1)), "{out}");
    assert!(peak_kib < 400 * 1024, "peak memory {} MiB for a 10,000-deep chain", peak_kib / 1024);
}

#[test]
fn sixty_thousand_character_identifiers_across_files() {
    let name = "a".repeat(60_000);
    let files: Vec<(String, String)> = (0..3)
        .map(|j| {
            let next = (j + 1) % 3;
            (
                format!("m{j}.py"),
                format!(
                    "import numpy as np\nfrom concurrent.futures import ThreadPoolExecutor\nfrom m{next} import {name}{next}\n\
                     def {name}{j}(x):\n    return sum(x)\nwith ThreadPoolExecutor() as ex:\n    ex.submit({name}{next}, np.zeros(100_000))\n"
                ),
            )
        })
        .collect();
    let files: Vec<(&str, String)> = files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let dir = project(&files);
    let (code, out, _) = check(dir.path());
    assert_eq!(code, Some(1), "{}", &out[..out.len().min(500)]);
    assert_eq!(out.matches("NG101").count(), 3);
}

#[test]
fn mutually_recursive_modules_and_ten_thousand_re_exports_terminate() {
    let mut files: Vec<(String, String)> = Vec::new();
    // a.py and b.py import each other and call each other.
    files.push((
        "a.py".into(),
        "import numpy as np\nfrom concurrent.futures import ThreadPoolExecutor\nfrom b import pong\n\
         def ping(x, n):\n    return pong(x, n - 1) if n else sum(x)\n\
         with ThreadPoolExecutor() as ex:\n    ex.submit(ping, np.zeros(100_000), 3)\n"
            .into(),
    ));
    files.push(("b.py".into(), "from a import ping\ndef pong(x, n):\n    return ping(x, n)\n".into()));
    // base.py defines 10,000 functions; reexport.py re-exports each; chain0..chain99 star-import
    // each other in a line that ends at reexport.
    let mut base = String::new();
    let mut names = Vec::new();
    for i in 0..10_000 {
        base.push_str(&format!("def f{i}(x):\n    return x\n"));
        names.push(format!("f{i}"));
    }
    files.push(("base.py".into(), base));
    files.push(("reexport.py".into(), format!("from base import {}\n", names.join(", "))));
    for i in 0..100 {
        let next = if i == 99 { "reexport".to_string() } else { format!("chain{}", i + 1) };
        files.push((format!("chain{i}.py"), format!("from {next} import *\n")));
    }
    files.push((
        "use.py".into(),
        "import numpy as np\nfrom concurrent.futures import ThreadPoolExecutor\nfrom chain0 import f9999\n\
         def task(x):\n    return max(f9999(x))\n\
         with ThreadPoolExecutor() as ex:\n    ex.submit(task, np.zeros(100_000))\n"
            .into(),
    ));
    let files: Vec<(&str, String)> = files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let dir = project(&files);
    let (code, out, _) = check(dir.path());
    assert_eq!(code, Some(1), "{}", &out[..out.len().min(2000)]);
    assert!(out.contains("a.py") && out.contains("NG101"), "{out}");
}

#[test]
fn a_def_without_a_name_beside_a_long_line_of_spaces() {
    // Error recovery gives `def """main():` an empty name; an empty name among the launching
    // names once matched at every byte, and each match scanned the following spaces: a
    // megabyte line of spaces took minutes.
    let broken = "from concurrent.futures import ThreadPoolExecutor\nimport numpy as np\n\
                  def \"\"\"main():\n    with ThreadPoolExecutor() as ex:\n        ex.submit(print, 1)\n\"\"\"\n";
    let spaces = format!("import numpy as np\nx = 1{}\n", " ".repeat(1_000_000));
    let dir = project(&[("broken.py", broken.to_string()), ("wide.py", spaces)]);
    let (code, out, _) = check(dir.path());
    assert!(matches!(code, Some(0 | 1)), "{}", &out[..out.len().min(500)]);
}

#[test]
fn a_dict_whose_stores_read_each_other() {
    // `REG["k1"] = REG["k0"]`, ... sixty stores: every lookup of `REG` once evaluated every
    // store, each of which looked `REG` up again (minutes, at six levels); the stores are now
    // evaluated once per name, and a dict stored into in more places than a bound is a plain
    // dict.
    let mut src =
        String::from("from concurrent.futures import ThreadPoolExecutor\nimport numpy as np\nREG = {'k0': np.sum}\n");
    for i in 1..60 {
        src.push_str(&format!("REG['k{i}'] = REG['k{}']\n", i - 1));
    }
    for j in 0..200 {
        src.push_str(&format!("def task{j}(a):\n    f = REG['k{}']\n    return f(a) + sum(a)\n", j % 60));
    }
    src.push_str("def main():\n    with ThreadPoolExecutor() as ex:\n");
    for j in 0..200 {
        src.push_str(&format!("        ex.submit(task{j}, np.zeros(1000))\n"));
    }
    let dir = project(&[("registry.py", src)]);
    let (code, out, _) = check(dir.path());
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(out.matches("NG101").count(), 200, "{out}");
}
