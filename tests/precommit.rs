//! The pre-commit hook, run by pre-commit itself: `pre-commit try-repo <this repo> numgil` in a
//! scratch git repository must fail and show the finding, then pass once the code is clean.
//! Runs when `pre-commit` is on PATH; with `NUMGIL_E2E=1` (set by .ci/run) a missing
//! pre-commit is a failure.

use std::path::Path;
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success())
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

#[test]
fn pre_commit_hook_blocks_a_finding() {
    if !have("pre-commit") {
        assert!(std::env::var_os("NUMGIL_E2E").is_none(), "NUMGIL_E2E=1 but pre-commit is not installed");
        eprintln!("skipped: pre-commit not on PATH");
        return;
    }
    let repo = tempfile::tempdir().unwrap();
    let d = repo.path();
    git(d, &["init", "-q"]);
    let flagged = "import numpy as np\nfrom concurrent.futures import ThreadPoolExecutor\n\n\ndef task(a, b):\n    return sum(a * b)\n\n\nwith ThreadPoolExecutor() as ex:\n    ex.submit(task, np.ones(100_000), np.ones(100_000))\n";
    std::fs::write(d.join("job.py"), flagged).unwrap();
    git(d, &["add", "job.py"]);
    let this_repo = env!("CARGO_MANIFEST_DIR");
    // Share pre-commit's environments between runs of the same revision.
    let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit-home");
    let run = || {
        Command::new("pre-commit")
            .args(["try-repo", this_repo, "numgil", "--all-files"])
            .current_dir(d)
            .env("PRE_COMMIT_HOME", &home)
            .output()
            .unwrap()
    };
    let out = run();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success(), "the hook must fail on a finding:\n{text}");
    assert!(text.contains("job.py:6:12: NG101"), "the finding is shown:\n{text}");

    std::fs::write(d.join("job.py"), flagged.replace("sum(a * b)", "np.dot(a, b)")).unwrap();
    git(d, &["add", "job.py"]);
    let out = run();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the hook passes on clean code:\n{text}");
}
