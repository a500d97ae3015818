//! Revision syntax: `NAME`, `HEAD`, abbreviated ids, `REV~N`, `REV^`, `REV^N`.

use thiserror::Error;

/// A parsed revision: a base name followed by ancestry steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevSpec {
    pub base: String,
    /// Each step picks parent number `n` (1-based) of the current commit.
    pub steps: Vec<usize>,
}

#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RevError {
    #[error("empty revision")]
    Empty,
    #[error("invalid revision '{0}'")]
    Invalid(String),
}

/// Parse a revision expression.
pub fn parse(spec: &str) -> Result<RevSpec, RevError> {
    if spec.is_empty() {
        return Err(RevError::Empty);
    }
    let cut = spec.find(['~', '^']).unwrap_or(spec.len());
    let (base, mut rest) = spec.split_at(cut);
    if base.is_empty() {
        return Err(RevError::Invalid(spec.to_string()));
    }
    let mut steps = Vec::new();
    while let Some(op) = rest.chars().next() {
        rest = &rest[1..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        rest = &rest[digits.len()..];
        let n: Option<usize> = if digits.is_empty() {
            None
        } else {
            Some(
                digits
                    .parse()
                    .map_err(|_| RevError::Invalid(spec.to_string()))?,
            )
        };
        match op {
            '~' => steps.extend(std::iter::repeat_n(1, n.unwrap_or(1))),
            '^' => match n {
                Some(0) => {}
                Some(k) => steps.push(k),
                None => steps.push(1),
            },
            _ => return Err(RevError::Invalid(spec.to_string())),
        }
    }
    Ok(RevSpec {
        base: base.to_string(),
        steps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        assert_eq!(parse("HEAD").unwrap().steps, Vec::<usize>::new());
        assert_eq!(parse("main~3").unwrap().steps, vec![1, 1, 1]);
        assert_eq!(parse("abc^^2").unwrap().steps, vec![1, 2]);
        assert_eq!(parse("x~").unwrap().steps, vec![1]);
        assert!(parse("~1").is_err());
        assert!(parse("").is_err());
        assert!(parse("a~x").is_err());
    }
}
