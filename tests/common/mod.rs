//! Test provisioning shared by the integration tests that need outside tools: a Python
//! virtualenv with numpy, numexpr and jsonschema under `target/` (created once, reused), and the
//! official SARIF 2.1.0 schema (from the `@microsoft/sarif-multitool-linux` npm package).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).parent().map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("target"))
}

pub fn python_bin(venv: &Path) -> PathBuf {
    venv.join("bin").join("python")
}

fn has_packages(python: &Path) -> bool {
    std::process::Command::new(python)
        .args(["-c", "import numpy, numexpr, jsonschema"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A Python with numpy, numexpr and jsonschema, created on first use.
pub fn python() -> &'static Path {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let venv = target_dir().join("numgil-test-venv");
        let py = python_bin(&venv);
        if has_packages(&py) {
            return py;
        }
        if !py.exists() {
            let ok = std::process::Command::new("python3")
                .args(["-m", "venv"])
                .arg(&venv)
                .status()
                .is_ok_and(|s| s.success());
            assert!(ok, "cannot create a virtualenv with `python3 -m venv`");
        }
        let ok = std::process::Command::new(&py)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "numpy", "numexpr", "jsonschema"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok && has_packages(&py), "cannot install numpy, numexpr and jsonschema into {}", venv.display());
        py
    })
}

/// The SARIF 2.1.0 JSON schema, fetched once with `npm pack`.
pub fn sarif_schema() -> &'static Path {
    static SCHEMA: OnceLock<PathBuf> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let dir = target_dir().join("sarif-schema");
        let schema = dir.join("package").join("sarif-2.1.0.json");
        if schema.exists() {
            return schema;
        }
        std::fs::create_dir_all(&dir).unwrap();
        let ok = std::process::Command::new("npm")
            .args(["pack", "--silent", "@microsoft/sarif-multitool-linux@5.7.0"])
            .current_dir(&dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "cannot fetch the SARIF schema with npm");
        let ok = std::process::Command::new("tar")
            .args(["xzf", "microsoft-sarif-multitool-linux-5.7.0.tgz", "package/sarif-2.1.0.json"])
            .current_dir(&dir)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok && schema.exists(), "cannot extract the SARIF schema");
        let _ = std::fs::remove_file(dir.join("microsoft-sarif-multitool-linux-5.7.0.tgz"));
        schema
    })
}
