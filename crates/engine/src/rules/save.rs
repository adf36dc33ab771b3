//! Writing a rules file when several people (and cron, and the workbench) work on one
//! comparison at once. A decision is a read-modify-write of the file, so it runs under an
//! advisory lock on a file beside it (`.NAME.toml.lock`): a second writer reads the file
//! only after the first has written it, and its change is made on top. Readers take no lock:
//! the file is replaced whole in one rename, so they see the old file or the new one.
//!
//! The lock file stays (removing it would let a third writer lock a new file while the
//! second still holds the old one); it is hidden and empty.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::file::RulesFile;
use crate::error::{Error, Result};
use crate::store::Wait;

/// Reads the rules file at `path` under its lock, lets `change` change it, and writes it
/// back before the lock is let go. Nothing is written when `change` fails.
pub fn update<T>(
    path: &Path,
    wait: &Wait,
    change: impl FnOnce(&mut RulesFile) -> Result<T>,
) -> Result<T> {
    let _held = lock(path, wait)?;
    remove_partials(path);
    let mut file = RulesFile::load(path)?;
    let out = change(&mut file)?;
    write_whole(path, &file.text())?;
    Ok(out)
}

fn lock_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.lock"))
}

/// The file's lock, waited for as `wait` says (told once, cancellable).
fn lock(path: &Path, wait: &Wait) -> Result<File> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::Runtime(format!("cannot create {}: {e}", dir.display())))?;
    let at = lock_path(path);
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&at)
        .map_err(|e| Error::Runtime(format!("cannot open {}: {e}", at.display())))?;
    let started = Instant::now();
    let mut told = false;
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(lock),
            Err(TryLockError::Error(e)) => {
                return Err(Error::Runtime(format!("cannot lock {}: {e}", at.display())))
            }
            Err(TryLockError::WouldBlock) => {}
        }
        if started.elapsed() >= wait.timeout {
            return Err(Error::CacheBusy(format!(
                "{} is being written by another assay; waited {}s (workspace.cache_wait) — \
                 try again when it has finished",
                path.display(),
                started.elapsed().as_secs()
            )));
        }
        if !told {
            told = true;
            (wait.notify)(&format!(
                "waiting for {}: another assay is writing it",
                path.display()
            ));
        }
        if wait.cancel.as_ref().is_some_and(|c| c.is_cancelled()) {
            return Err(Error::Cancelled);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Temporary files of writers killed mid-write (`.NAME.toml.XXXXXX.partial`): with the lock
/// held no other writer of this file is writing, so every one left is garbage.
fn remove_partials(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let n = entry.file_name().to_string_lossy().into_owned();
        if n.starts_with(&prefix) && n.ends_with(".partial") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Writes `text` as the file at `path` whole: a temporary file of its own in the same
/// folder, flushed to disk, renamed over the file, and the folder flushed so the rename
/// survives a crash too.
pub fn write_whole(path: &Path, text: &str) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let fail =
        |e: &dyn std::fmt::Display| Error::Runtime(format!("cannot write {}: {e}", path.display()));
    std::fs::create_dir_all(dir).map_err(|e| fail(&e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The file keeps its mode, and a new one gets what `std::fs::write` would give (0666
    // less the umask): a temporary file is made 0600, which would hide a shared rules file
    // from the other people and from cron.
    let kept = std::fs::metadata(path).map(|m| m.permissions()).ok();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(|e| fail(&e))?;
    if let Some(mode) = kept {
        tmp.as_file().set_permissions(mode).map_err(|e| fail(&e))?;
    }
    tmp.write_all(text.as_bytes()).map_err(|e| fail(&e))?;
    tmp.as_file().sync_all().map_err(|e| fail(&e))?;
    tmp.persist(path).map_err(|e| fail(&e.error))?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::file::{Kind, Rule, Status};

    fn rule(name: &str) -> Rule {
        Rule {
            name: name.into(),
            kind: Kind::Exclude,
            filter: format!("id = {}", name.len()),
            set: Default::default(),
            status: Status::Proposed,
            note: String::new(),
            by: "ana".into(),
            at: "2026-12-06T10:00:00Z".into(),
        }
    }

    #[test]
    fn concurrent_writers_all_land() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rules/rev.toml");
        let threads: Vec<_> = (0..8)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || {
                    update(&path, &Wait::quiet(Duration::from_secs(30)), |f| {
                        // Widen the window in which a writer without the lock loses the
                        // other's change.
                        std::thread::sleep(Duration::from_millis(15));
                        f.push(rule(&format!("r{i}")))
                    })
                    .unwrap()
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let f = RulesFile::load(&path).unwrap();
        let mut names: Vec<_> = f.rules.iter().map(|r| r.name.clone()).collect();
        names.sort();
        assert_eq!(names, (0..8).map(|i| format!("r{i}")).collect::<Vec<_>>());
        let left: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".partial"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    /// Found driving the workbench: the first version wrote the rules file 0600 (a
    /// temporary file's mode), hiding it from the other people sharing the workspace.
    #[test]
    fn the_file_keeps_its_mode_and_a_new_one_is_not_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rev.toml");
        let wait = Wait::quiet(Duration::from_secs(1));
        update(&path, &wait, |f| f.push(rule("a"))).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_ne!(
            mode(&path) & 0o044,
            0,
            "readable by others: {:o}",
            mode(&path)
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o664)).unwrap();
        update(&path, &wait, |f| f.push(rule("b"))).unwrap();
        assert_eq!(mode(&path), 0o664);
    }

    #[test]
    fn a_failed_change_writes_nothing_and_a_held_lock_is_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rev.toml");
        std::fs::write(&path, "# kept\n").unwrap();
        let e = update(
            &path,
            &Wait::quiet(Duration::from_secs(1)),
            |_| -> Result<()> { Err(Error::Usage("no".into())) },
        );
        assert!(e.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "# kept\n");
        let held = lock(&path, &Wait::quiet(Duration::ZERO)).unwrap();
        let told = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let log = told.clone();
        let wait = Wait::quiet(Duration::from_millis(200))
            .notify(move |m| log.lock().unwrap().push(m.to_string()));
        let busy = update(&path, &wait, |_| Ok(())).unwrap_err().to_string();
        assert!(busy.contains("being written by another assay"), "{busy}");
        assert!(told.lock().unwrap()[0].contains("waiting for"));
        drop(held);
        update(&path, &wait, |f| f.push(rule("a"))).unwrap();
        let written = std::fs::read_to_string(&path).unwrap();
        assert!(
            written.contains("# kept\n") && written.contains("[[rule]]"),
            "{written}"
        );
    }
}
