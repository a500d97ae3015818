//! A migration file as PostgreSQL's parser sees it: its statements with
//! their byte spans, line and column, the comments before each (where
//! `pggit-lint:` directives live), and the psql meta-commands it holds.
//!
//! psql meta-commands (`\i file`, `\set`, `\connect`, a `\gexec` after a
//! query) are not SQL: they are found with PostgreSQL's own lexer (so a
//! backslash inside a string or a dollar-quoted body is left alone),
//! reported, and blanked out before parsing, keeping every position.
//!
//! A file that does not parse gets the parser's message and the position of
//! the token it failed at. `pg_query` reports only the message, so the
//! token is found by parsing ever longer prefixes of the failing statement
//! (bisection over its tokens): the shortest prefix whose error is not
//! "at end of input" ends at the offending token.

use pg_query::protobuf::{self, Token};

/// The whole text and where its lines start.
#[derive(Debug, Clone)]
pub struct Source {
    pub text: String,
    line_starts: Vec<usize>,
}

impl Source {
    pub fn new(text: &str) -> Source {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Source {
            text: text.to_string(),
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|s| *s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let col = self
            .text
            .get(start..offset.min(self.text.len()))
            .map_or(0, |s| s.chars().count());
        (line, col + 1)
    }

    /// The text of 1-based line `n`, without its newline.
    pub fn line(&self, n: usize) -> &str {
        let Some(start) = n.checked_sub(1).and_then(|i| self.line_starts.get(i)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(n)
            .map_or(self.text.len(), |e| e.saturating_sub(1));
        self.text
            .get(*start..end)
            .unwrap_or("")
            .trim_end_matches('\r')
    }
}

/// One statement of the file.
#[derive(Debug, Clone)]
pub struct Statement {
    /// Byte span of the statement's own text (from its first token to its
    /// last, without the semicolon).
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// The comments between the previous statement and this one.
    pub comments: Vec<String>,
    /// Identifiers longer than the 63 bytes PostgreSQL keeps, as written
    /// (the parse tree holds them already cut).
    pub long_names: Vec<String>,
    pub node: protobuf::node::Node,
}

/// A psql meta-command: not SQL, not analysed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaCommand {
    pub start: usize,
    pub text: String,
}

/// The file could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at line {line}, column {column}")]
pub struct SyntaxError {
    pub message: String,
    pub offset: usize,
    pub line: usize,
    pub column: usize,
}

/// A parsed file.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub source: Source,
    pub statements: Vec<Statement>,
    pub meta: Vec<MetaCommand>,
    /// Comments after the last statement.
    pub trailing_comments: Vec<String>,
}

/// Parse `text` (a migration file) into statements.
pub fn parse(text: &str) -> Result<Parsed, SyntaxError> {
    let source = Source::new(text);
    let (sql, meta, tokens) = blank_meta_commands(text);
    let raws = match parse_statements(&sql, &tokens) {
        Ok(p) => p,
        Err(e) => return Err(locate_error(&source, &sql, &e)),
    };
    let mut statements = Vec::new();
    let mut comments_from = 0usize;
    // Tokens come in order: each statement reads on from where the last
    // one stopped.
    let mut next = 0usize;
    let bases: Vec<usize> = raws.iter().map(|(b, _)| *b).collect();
    for (base, raw) in raws {
        let loc = base + usize::try_from(raw.stmt_location).unwrap_or(0);
        let len = usize::try_from(raw.stmt_len).unwrap_or(0);
        let Some(node) = raw.stmt.and_then(|n| n.node) else {
            continue;
        };
        let stop = if len == 0 {
            // The last statement of its chunk runs to the chunk's end.
            bases
                .iter()
                .copied()
                .find(|b| *b > base)
                .unwrap_or(sql.len())
        } else {
            loc + len
        };
        let mut comments = Vec::new();
        let mut long_names = Vec::new();
        let mut first = None;
        let mut last = loc;
        while let Some(t) = tokens.get(next) {
            let (s, e) = (as_usize(t.start), as_usize(t.end));
            if s >= stop {
                break;
            }
            next += 1;
            if s < comments_from {
                continue;
            }
            if is_comment(t.token) {
                if first.is_none() {
                    comments.push(sql.get(s..e).unwrap_or("").to_string());
                }
                continue;
            }
            // The span may start at the previous statement's semicolon.
            if first.is_none() && t.token == Token::Ascii59 as i32 {
                continue;
            }
            first.get_or_insert(s);
            last = e;
            if t.token == Token::Ident as i32 && e - s > 63 {
                let raw = sql.get(s..e).unwrap_or("");
                let name = match raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
                    Some(q) => q.replace("\"\"", "\""),
                    None => raw.to_lowercase(),
                };
                if name.len() > 63 && !long_names.contains(&name) {
                    long_names.push(name);
                }
            }
        }
        let start = first.unwrap_or(loc);
        comments_from = stop;
        statements.push(Statement {
            start,
            end: last.max(start),
            text: sql.get(start..last.max(start)).unwrap_or("").to_string(),
            comments,
            long_names,
            node,
        });
    }
    let trailing_comments = tokens
        .iter()
        .filter(|t| as_usize(t.start) >= comments_from && is_comment(t.token))
        .filter_map(|t| sql.get(as_usize(t.start)..as_usize(t.end)))
        .map(str::to_string)
        .collect();
    Ok(Parsed {
        source,
        statements,
        meta,
        trailing_comments,
    })
}

/// Text above this size is parsed in two halves at once (split after a
/// semicolon token, so never inside a string or comment): parsing is most
/// of the work.
const PARALLEL_FROM: usize = 64 * 1024;

/// The raw statements of `sql`, each with the byte offset its locations are
/// relative to.
fn parse_statements(
    sql: &str,
    tokens: &[protobuf::ScanToken],
) -> Result<Vec<(usize, protobuf::RawStmt)>, pg_query::Error> {
    let whole = |sql: &str| -> Result<Vec<(usize, protobuf::RawStmt)>, pg_query::Error> {
        Ok(pg_query::parse(sql, 0)?
            .protobuf
            .stmts
            .into_iter()
            .map(|r| (0, r))
            .collect())
    };
    if sql.len() < PARALLEL_FROM {
        return whole(sql);
    }
    // The first semicolon token past the middle. A semicolon inside a
    // function body in parentheses or BEGIN ATOMIC would split a statement:
    // then a half does not parse, and the whole text is parsed instead.
    let cut = tokens
        .iter()
        .filter(|t| t.token == Token::Ascii59 as i32)
        .map(|t| as_usize(t.end))
        .find(|end| *end >= sql.len() / 2)
        .filter(|c| *c < sql.len() && sql.is_char_boundary(*c));
    let Some(cut) = cut else {
        return whole(sql);
    };
    let (a, b) = sql.split_at(cut);
    let (first, second) = std::thread::scope(|s| {
        let h = s.spawn(|| pg_query::parse(b, 0));
        (pg_query::parse(a, 0), h.join())
    });
    match (first, second) {
        (Ok(x), Ok(Ok(y))) => Ok(x
            .protobuf
            .stmts
            .into_iter()
            .map(|r| (0, r))
            .chain(y.protobuf.stmts.into_iter().map(|r| (cut, r)))
            .collect()),
        // The halves disagree with the whole (or a thread failed): the whole
        // text decides, and its error is the one reported.
        _ => whole(sql),
    }
}

fn as_usize(i: i32) -> usize {
    usize::try_from(i).unwrap_or(0)
}

fn is_comment(token: i32) -> bool {
    token == Token::SqlComment as i32 || token == Token::CComment as i32
}

/// `text` with every psql meta-command replaced by spaces (newlines kept),
/// the commands found, and the lexer's tokens of the result (none when it
/// does not lex).
fn blank_meta_commands(text: &str) -> (String, Vec<MetaCommand>, Vec<protobuf::ScanToken>) {
    let mut sql = text.to_string();
    let mut meta = Vec::new();
    // Each round blanks the commands one scan finds (usually one round, and
    // one more to check); a round that cannot lex blanks one line.
    for _ in 0..=text.len() {
        let starts: Vec<usize> = match pg_query::scan(&sql) {
            Ok(scan) => {
                let starts: Vec<usize> = scan
                    .tokens
                    .iter()
                    .map(|t| as_usize(t.start))
                    .filter(|s| sql.as_bytes().get(*s) == Some(&b'\\'))
                    .collect();
                if starts.is_empty() {
                    meta.sort_by_key(|m: &MetaCommand| m.start);
                    return (sql, meta, scan.tokens);
                }
                starts
            }
            // Something psql would read as a meta-command line may not lex
            // as SQL at all (`\echo it's`): every line that starts with one,
            // in one pass.
            Err(_) => {
                let lines = lines_starting_with_backslash(&sql);
                if lines.is_empty() {
                    break;
                }
                lines
            }
        };
        let mut blanked_to = 0;
        for start in starts {
            if start < blanked_to {
                continue;
            }
            let end = sql[start..].find('\n').map_or(sql.len(), |i| start + i);
            meta.push(MetaCommand {
                start,
                text: text[start..end].trim_end().to_string(),
            });
            // Spaces of the same byte length, so every offset stays valid.
            let blank: String = sql[start..end]
                .chars()
                .map(|c| {
                    if c == '\r' {
                        "\r".to_string()
                    } else {
                        " ".repeat(c.len_utf8())
                    }
                })
                .collect();
            sql.replace_range(start..end, &blank);
            blanked_to = end;
        }
    }
    meta.sort_by_key(|m: &MetaCommand| m.start);
    (sql, meta, Vec::new())
}

fn lines_starting_with_backslash(sql: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in sql.split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        if line.trim_start().starts_with('\\') {
            out.push(offset + indent);
        }
        offset += line.len();
    }
    out
}

/// Where the parse of `sql` failed, as precisely as the parser tells.
fn locate_error(source: &Source, sql: &str, e: &pg_query::Error) -> SyntaxError {
    let message = match e {
        pg_query::Error::Parse(m) | pg_query::Error::Scan(m) => m.clone(),
        other => other.to_string(),
    };
    let offset = error_offset(sql).unwrap_or(0);
    let (line, column) = source.line_col(offset);
    SyntaxError {
        message,
        offset,
        line,
        column,
    }
}

/// The offset of the token a parse of `sql` fails at, if it can be found.
fn error_offset(sql: &str) -> Option<usize> {
    let tokens = match pg_query::scan(sql) {
        Ok(s) => s.tokens,
        // A lexer error (an unterminated string or comment) names the rest
        // of the input from where the construct starts.
        Err(pg_query::Error::Scan(m)) | Err(pg_query::Error::Parse(m)) => {
            return near_at_end(sql, &m).or_else(|| lex_error_offset(sql));
        }
        Err(_) => return lex_error_offset(sql),
    };
    let ends: Vec<usize> = tokens
        .iter()
        .filter(|t| !is_comment(t.token))
        .map(|t| as_usize(t.end))
        .collect();
    // The shortest prefix (ending after token k) that fails with something
    // other than "at end of input".
    let fails = |k: usize| -> bool {
        let Some(prefix) = sql.get(..ends[k]) else {
            return false;
        };
        match pg_query::parse(prefix, 0) {
            Ok(_) => false,
            Err(pg_query::Error::Parse(m)) => !m.contains("at end of input"),
            Err(_) => true,
        }
    };
    if ends.is_empty() || !fails(ends.len() - 1) {
        // Only the end of the input is wrong (an unfinished statement).
        return Some(sql.trim_end().len());
    }
    let (mut lo, mut hi) = (0, ends.len() - 1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if fails(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    tokens
        .iter()
        .filter(|t| !is_comment(t.token))
        .nth(lo)
        .map(|t| as_usize(t.start))
}

/// The offset of an error "at or near" text that runs to the end of `sql`.
fn near_at_end(sql: &str, message: &str) -> Option<usize> {
    let near = message.split_once("at or near \"")?.1.strip_suffix('"')?;
    (!near.is_empty() && sql.ends_with(near)).then(|| sql.len() - near.len())
}

/// For a lexer error (a string, quoted name or comment never closed): the
/// longest prefix that lexes ends where that construct begins. Found by
/// bisection over character boundaries, which assumes that a prefix lexes
/// exactly when it ends before the construct; a prefix that ends inside an
/// earlier, closed string breaks that assumption, and the position found
/// may then be that string's.
fn lex_error_offset(sql: &str) -> Option<usize> {
    let bounds: Vec<usize> = sql.char_indices().map(|(i, _)| i).collect();
    let lexes = |i: usize| pg_query::scan(&sql[..bounds[i]]).is_ok();
    let (mut lo, mut hi) = (0, bounds.len().checked_sub(1)?);
    while lo < hi {
        let mid = lo + (hi - lo).div_ceil(2);
        if lexes(mid) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let good = bounds[lo];
    let rest = &sql[good..];
    Some(good + (rest.len() - rest.trim_start().len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_have_spans_comments_and_lines() {
        let p = parse("-- first\nCREATE TABLE t (id int);\n\n/* two */ -- again\nDROP TABLE t;\n")
            .unwrap();
        assert_eq!(p.statements.len(), 2);
        assert_eq!(p.statements[0].text, "CREATE TABLE t (id int)");
        assert_eq!(p.statements[0].comments, vec!["-- first"]);
        assert_eq!(p.statements[1].text, "DROP TABLE t");
        assert_eq!(p.statements[1].comments, vec!["/* two */", "-- again"]);
        assert_eq!(p.source.line_col(p.statements[1].start), (5, 1));
    }

    #[test]
    fn meta_commands_are_reported_and_skipped() {
        let p = parse(
            "\\set ON_ERROR_STOP on\nSELECT 'a\\b';\n\\i other.sql\nSELECT format('x') \\gexec\n",
        )
        .unwrap();
        let metas: Vec<_> = p.meta.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(
            metas,
            vec!["\\set ON_ERROR_STOP on", "\\i other.sql", "\\gexec"]
        );
        assert_eq!(p.statements.len(), 2);
        assert_eq!(p.statements[0].text, "SELECT 'a\\b'");
        // A meta-command line that does not lex as SQL.
        let p = parse("\\echo it's done\nSELECT 1;").unwrap();
        assert_eq!(p.meta.len(), 1);
        assert_eq!(p.statements.len(), 1);
    }

    #[test]
    fn big_files_parse_in_halves_with_the_same_statements() {
        let one = |i: usize| {
            [
                format!("INSERT INTO t VALUES ({i}, 'a;b')"),
                format!("CREATE FUNCTION f{i}() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT {i}; END"),
                format!("ALTER TABLE t ADD COLUMN c{i} text /* x; y */ DEFAULT ';'"),
            ][i % 3]
                .clone()
        };
        let n = 3000;
        let text: String = (0..n)
            .map(|i| format!("{};  -- note; {i}\n", one(i)))
            .collect();
        assert!(text.len() > PARALLEL_FROM);
        let p = parse(&text).unwrap();
        let got: Vec<&str> = p.statements.iter().map(|s| s.text.as_str()).collect();
        let want: Vec<String> = (0..n).map(one).collect();
        assert_eq!(got, want);
        assert_eq!(
            p.statements[n - 1].comments,
            vec![format!("-- note; {}", n - 2)]
        );
        let e = parse(&format!("{text}SELECT (;\n")).unwrap_err();
        assert_eq!(e.line, n + 1, "{e}");
    }

    #[test]
    fn syntax_errors_point_at_the_token() {
        let e = parse("CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN x int DEFALT 1;\n")
            .unwrap_err();
        assert!(
            e.message.contains("syntax error at or near \"DEFALT\""),
            "{e}"
        );
        assert_eq!((e.line, e.column), (2, 32));
        let e = parse("SELECT 1;\nSELECT (1;\n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = parse("SELECT 'unterminated;\n").unwrap_err();
        assert_eq!((e.line, e.column), (1, 8), "{e}");
    }
}
