//! The bundled kernel set (`rules/<CODE>.kernel.py`) and the Python harness that times them,
//! the runner that streams the harness's JSON lines, and the host profiles that `check` quotes.

pub mod profile;
pub mod runner;

use std::path::Path;

/// The harness, run with the user's Python.
pub const HARNESS: &str = include_str!("harness.py");

/// Every bundled kernel: (kernel id, source). A kernel's id is its rule's code, or the code and
/// the pattern (`NG101-minmax`) where a rule covers several rewrites that gain differently.
pub const KERNELS: &[(&str, &str)] = &[
    ("NG101", include_str!("../../rules/NG101.kernel.py")),
    ("NG101-sum", include_str!("../../rules/NG101-sum.kernel.py")),
    ("NG101-sumprod", include_str!("../../rules/NG101-sumprod.kernel.py")),
    ("NG101-minmax", include_str!("../../rules/NG101-minmax.kernel.py")),
    ("NG101-anyall", include_str!("../../rules/NG101-anyall.kernel.py")),
    ("NG102", include_str!("../../rules/NG102.kernel.py")),
    ("NG103", include_str!("../../rules/NG103.kernel.py")),
    ("NG104", include_str!("../../rules/NG104.kernel.py")),
    ("NG105", include_str!("../../rules/NG105.kernel.py")),
    ("NG106", include_str!("../../rules/NG106.kernel.py")),
    ("NG107", include_str!("../../rules/NG107.kernel.py")),
    ("NG201", include_str!("../../rules/NG201.kernel.py")),
    ("NG202", include_str!("../../rules/NG202.kernel.py")),
    ("NG203", include_str!("../../rules/NG203.kernel.py")),
    ("NG204", include_str!("../../rules/NG204.kernel.py")),
    ("NG301", include_str!("../../rules/NG301.kernel.py")),
];

pub fn has_kernel(code: &str) -> bool {
    KERNELS.iter().any(|(c, _)| *c == code)
}

/// Write the harness and the kernels into `dir` (a fresh temporary directory).
pub fn write_bundle(dir: &Path) -> std::io::Result<()> {
    std::fs::write(dir.join("harness.py"), HARNESS)?;
    let kernels = dir.join("kernels");
    std::fs::create_dir_all(&kernels)?;
    for (code, src) in KERNELS {
        std::fs::write(kernels.join(format!("{code}.kernel.py")), src)?;
    }
    Ok(())
}
