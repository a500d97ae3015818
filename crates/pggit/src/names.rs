//! Validation of branch and tag names (git's rules, adapted).

use crate::error::{Error, Result};

/// Check a branch or tag name.
pub fn validate(what: &'static str, name: &str) -> Result<()> {
    let bad = |why: &'static str| {
        Err(Error::InvalidName {
            what,
            name: name.to_string(),
            why,
        })
    };
    if name.is_empty() {
        return bad("empty");
    }
    if name.len() > 200 {
        return bad("longer than 200 bytes");
    }
    if name == "HEAD" || name == "@" {
        return bad("reserved");
    }
    if name.starts_with('-') || name.starts_with('/') || name.ends_with('/') || name.ends_with('.')
    {
        return bad("cannot start with '-' or '/' or end with '/' or '.'");
    }
    if name.contains("..") || name.contains("//") || name.contains("@{") || name.ends_with(".lock")
    {
        return bad("contains '..', '//', '@{' or ends with '.lock'");
    }
    if name
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || "~^:?*[\\\"';".contains(c))
    {
        return bad("contains whitespace, a control character or one of ~ ^ : ? * [ \\ \" ' ;");
    }
    // Unicode format characters (bidirectional overrides, zero-width
    // joiners) make a name display as another.
    if name.chars().any(|c| {
        matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
    }) {
        return bad("contains an invisible or bidirectional formatting character");
    }
    if name.len() == 64 && name.chars().all(|c| c.is_ascii_hexdigit()) {
        return bad("looks like a commit id");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn names() {
        for ok in ["main", "feature/login", "día-2", "v1.0"] {
            assert!(validate("branch", ok).is_ok(), "{ok}");
        }
        for bad in [
            "main\u{202e}txt",
            "zero\u{200b}width",
            "",
            "a b",
            "a..b",
            "-x",
            "x/",
            "HEAD",
            "a\"; drop table x; --",
            "a~1",
            "x.lock",
            "a;b",
        ] {
            assert!(validate("branch", bad).is_err(), "{bad}");
        }
    }
}
