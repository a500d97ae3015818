//! Per-user local state, like the HEAD of a git clone: which branch this
//! user checked out, per repository. It lives in a file of the user's
//! (`$PGGIT_STATE_DIR`, else `$XDG_STATE_HOME/pggit`, else
//! `~/.local/state/pggit`), never in the shared repository, so one user's
//! `checkout` does not move anyone else.

use std::collections::BTreeMap;
use std::path::PathBuf;

fn dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("PGGIT_STATE_DIR") {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_STATE_HOME") {
        return Some(PathBuf::from(d).join("pggit"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state/pggit"))
}

fn file() -> Option<PathBuf> {
    dir().map(|d| d.join("checkouts.json"))
}

fn read() -> BTreeMap<String, String> {
    file()
        .and_then(|f| std::fs::read_to_string(f).ok())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

/// The branch this user checked out in repository `key`, if any.
pub fn checked_out(key: &str) -> Option<String> {
    read().remove(key)
}

/// Remember `branch` as checked out in repository `key`.
pub fn set_checked_out(key: &str, branch: &str) -> anyhow::Result<()> {
    let (Some(dir), Some(file)) = (dir(), file()) else {
        return Ok(());
    };
    let mut all = read();
    all.insert(key.to_string(), branch.to_string());
    std::fs::create_dir_all(&dir)?;
    // Replace the file whole, so a concurrent reader never sees half of it.
    let tmp = dir.join(format!("checkouts.json.{}", std::process::id()));
    std::fs::write(&tmp, serde_json::to_string_pretty(&all)?)?;
    std::fs::rename(&tmp, &file)?;
    Ok(())
}
