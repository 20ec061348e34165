//! Writing a user's file back ([`write_atomic`]: fixed sources, saved profiles). A symlink is
//! followed and its target written (the link stays a link); the new text goes to a temporary `.<name>.numgil-<pid>.tmp` beside the target
//! and is read back and compared before anything replaces the original. A file with one name
//! is then replaced by renaming the copy over it (with the original's permissions and owner); a
//! file with several hard links, or whose owner the copy cannot be given, is rewritten in place
//! so the inode, its links and its owner are kept. A read-only file is refused, not rewritten.
//! Each run removes the stale temporary files of dead numgil processes in the directories it
//! writes to.

use std::path::Path;

/// Write `text` to `path` (see the module documentation): follow symlinks, keep hard links,
/// owner and permissions, refuse read-only files, and verify the new content before the
/// original is replaced.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    if matches!(std::fs::symlink_metadata(path), Err(e) if e.kind() == ErrorKind::NotFound) {
        // A new file (a host profile, say): write a verified copy beside it and move it in.
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "file".into());
        let tmp = dir.join(temp_name(&name, std::process::id()));
        let result = write_verified(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        return result;
    }
    let target = std::fs::canonicalize(path)?;
    let meta = std::fs::metadata(&target)?;
    if !meta.is_file() {
        return Err(Error::other("not a regular file"));
    }
    if meta.permissions().readonly() {
        return Err(Error::new(
            ErrorKind::PermissionDenied,
            "the file is read-only; numgil does not change read-only files (make it writable to fix it)",
        ));
    }
    let dir = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    clean_stale_temps_once(dir);
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "file".into());
    let tmp = dir.join(temp_name(&name, std::process::id()));
    let result = write_verified(&tmp, text).and_then(|()| replace(&target, &tmp, &meta, text));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// `.<name>.numgil-<pid>.tmp`.
fn temp_name(name: &str, pid: u32) -> String {
    format!(".{name}.numgil-{pid}.tmp")
}

/// Write `text` to a new file at `tmp`, flush it to disk and check it reads back the same.
fn write_verified(tmp: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = std::fs::File::create(tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    drop(f);
    if std::fs::read(tmp)? != text.as_bytes() {
        return Err(std::io::Error::other("the temporary copy did not read back as written"));
    }
    Ok(())
}

/// Put the verified copy `tmp` in place of `target`.
fn replace(target: &Path, tmp: &Path, meta: &std::fs::Metadata, text: &str) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let in_place = meta.nlink() > 1 || std::os::unix::fs::chown(tmp, Some(meta.uid()), Some(meta.gid())).is_err();
        if in_place {
            return write_in_place(target, tmp, text);
        }
    }
    std::fs::set_permissions(tmp, meta.permissions())?;
    std::fs::rename(tmp, target)
}

/// Truncate `target` and write `text` into the same inode (its hard links and owner stay), then
/// drop the verified copy. If that fails half-way the copy is kept and named in the error.
#[cfg(unix)]
fn write_in_place(target: &Path, tmp: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let result = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).truncate(true).open(target)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        drop(f);
        if std::fs::read(target)? != text.as_bytes() {
            return Err(std::io::Error::other("the file did not read back as written"));
        }
        Ok(())
    })();
    match result {
        Ok(()) => std::fs::remove_file(tmp),
        Err(e) => {
            let kept = tmp.with_extension("fixed");
            let _ = std::fs::rename(tmp, &kept);
            Err(std::io::Error::new(e.kind(), format!("{e} (the fixed text is in {})", kept.display())))
        }
    }
}

/// Directories already cleaned in this run.
static CLEANED: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

fn clean_stale_temps_once(dir: &Path) {
    let mut cleaned = CLEANED.lock().unwrap_or_else(|e| e.into_inner());
    if cleaned.iter().any(|d| d == dir) {
        return;
    }
    cleaned.push(dir.to_path_buf());
    drop(cleaned);
    clean_stale_temps(dir);
}

/// Remove the `.<name>.numgil-<pid>.tmp` files in `dir` whose process is gone (a run that was
/// killed). Only where process ids can be checked (`/proc`); returns how many were removed.
pub fn clean_stale_temps(dir: &Path) -> usize {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return 0;
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_pid) else { continue };
        if pid == std::process::id() || proc.join(pid.to_string()).exists() {
            continue;
        }
        if entry.file_type().is_ok_and(|t| t.is_file()) && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The pid in a temporary file's name `.<name>.numgil-<pid>.tmp`.
fn temp_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, pid) = rest.rsplit_once(".numgil-")?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_creates_a_file_that_does_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("profile.json");
        write_atomic(&path, "{}\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}\n");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().flatten().collect();
        assert_eq!(left.len(), 1, "no temporary copy left behind");
    }

    #[test]
    fn atomic_write_keeps_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.py");
        std::fs::write(&p, "x = 1\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o751)).unwrap();
        }
        write_atomic(&p, "x = 2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "x = 2\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o751);
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
    }

    #[test]
    fn temp_names_round_trip() {
        assert_eq!(temp_pid(&temp_name("m.py", 4242)), Some(4242));
        assert_eq!(temp_pid(".m.py.numgil-.tmp"), None);
        assert_eq!(temp_pid("m.py"), None);
    }
}
