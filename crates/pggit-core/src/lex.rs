//! PostgreSQL's own lexer (`pg_query::scan`) over definition text: tokens
//! with their spans, so rewrites never touch string literals, quoted names
//! or dollar-quoted bodies by accident.

/// One lexer token: its text and byte span.
pub(crate) struct Tok<'a> {
    pub text: &'a str,
    pub start: usize,
    pub end: usize,
}

/// The tokens of `text`, or `None` when it does not lex.
pub(crate) fn tokens(text: &str) -> Option<Vec<Tok<'_>>> {
    let scanned = pg_query::scan(text).ok()?;
    scanned
        .tokens
        .iter()
        .map(|t| {
            let (start, end) = (usize::try_from(t.start).ok()?, usize::try_from(t.end).ok()?);
            Some(Tok {
                text: text.get(start..end)?,
                start,
                end,
            })
        })
        .collect()
}

/// The name a token spells, if it is an identifier or a keyword used as
/// one: unquoted names fold to lower case, quoted ones keep their case.
pub(crate) fn name_of(token: &str) -> Option<String> {
    if let Some(inner) = token.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        return Some(inner.replace("\"\"", "\""));
    }
    let first = token.chars().next()?;
    (first.is_alphabetic() || first == '_').then(|| token.to_lowercase())
}
