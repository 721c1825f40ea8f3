//! Writing the user's files safely: never over an input, and never in place. An output
//! is written to a temporary file beside it, then renamed over it, so a full disk, a
//! crash or a concurrent run leaves either the old file or the new one, never a
//! truncated or interleaved one.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Whether two paths name one existing file (after symbolic links, `./`, `..` and
/// hard links). A path that does not exist names no input.
pub fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

/// The input among `inputs` that `output` names, if any.
pub fn names_an_input<'a>(output: &Path, inputs: &'a [PathBuf]) -> Option<&'a PathBuf> {
    if std::fs::metadata(output).is_err() {
        return None;
    }
    inputs.iter().find(|input| same_file(output, input))
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Writes `bytes` to `path` atomically: to a temporary file in the same folder, which
/// then replaces `path` by a rename. A symbolic link is followed (the file it points
/// to is replaced, not the link), an existing file keeps its permissions, and
/// something that is not a regular file (`/dev/stdout`, a pipe) is written as it is,
/// since it cannot be replaced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// [`write_atomic`], with the content written by `write` as it is made, through a
/// buffer: a large report is never held whole in memory. When `write` fails, the
/// temporary file is removed and `path` is left as it was.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let existing = std::fs::metadata(&target).ok();
    if let Some(meta) = &existing
        && !meta.is_file()
        && !meta.is_dir()
    {
        let file = std::fs::OpenOptions::new().write(true).open(&target)?;
        let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
        write(&mut out)?;
        return out.flush();
    }
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let (tmp, file) = loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(file) => break (tmp, file),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && n < 1000 => continue,
            Err(e) => return Err(e),
        }
    };
    let written = (|| {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
        write(&mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        if let Some(meta) = &existing {
            file.set_permissions(meta.permissions())?;
        }
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, &target)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::{names_an_input, write_atomic};

    #[test]
    fn an_output_replaces_the_old_file_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.json");
        std::fs::write(&out, "old old old old").unwrap();
        write_atomic(&out, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "a temporary file was left behind");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.json");
        std::fs::write(&out, "old").unwrap();
        let failed = super::write_atomic_with(&out, |w| {
            w.write_all(&[b'x'; 100_000])?;
            Err(std::io::Error::other("the renderer failed"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "old");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "a temporary file was left behind");
    }

    #[test]
    fn an_output_names_an_input_through_dot_slash_and_links() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("t.yml");
        std::fs::write(&input, "version: 1\n").unwrap();
        let inputs = vec![input.clone()];
        let dotted = dir.path().join(".").join("t.yml");
        assert!(names_an_input(&dotted, &inputs).is_some());
        assert!(names_an_input(&dir.path().join("other.yml"), &inputs).is_none());
        #[cfg(unix)]
        {
            let link = dir.path().join("link.yml");
            std::os::unix::fs::symlink(&input, &link).unwrap();
            assert!(names_an_input(&link, &inputs).is_some());
        }
    }
}
