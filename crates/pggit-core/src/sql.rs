//! The one place where identifiers and literals become SQL text, and the
//! statement type the planner emits.

/// Keywords that must be quoted when used as identifiers (PostgreSQL's
/// reserved, type/function-name and column-name keywords).
const KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "json",
    "json_array",
    "json_arrayagg",
    "json_exists",
    "json_object",
    "json_objectagg",
    "json_query",
    "json_scalar",
    "json_serialize",
    "json_table",
    "json_value",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "merge_action",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// Quote an identifier the way PostgreSQL's `quote_ident` does: bare when it
/// is a plain lower-case name and not a keyword, double-quoted otherwise.
pub fn ident(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !KEYWORDS.contains(&name);
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `schema.name`, both parts quoted as needed.
pub fn qname(schema: &str, name: &str) -> String {
    format!("{}.{}", ident(schema), ident(name))
}

/// A string literal, independent of `standard_conforming_strings`.
pub fn literal(value: &str) -> String {
    if value.contains('\\') {
        format!("E'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", value.replace('\'', "''"))
    }
}

/// One generated statement of a migration.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Statement {
    /// The SQL text, without the trailing semicolon.
    pub sql: String,
    /// True when running it can destroy data (drops, narrowing type changes).
    pub destructive: bool,
}

/// Builds one statement from keywords (static text), quoted identifiers,
/// literals, and definitions deparsed by PostgreSQL itself. Nothing else can
/// be appended, so user-controlled names always pass through [`ident`].
#[derive(Debug, Default)]
pub struct Writer {
    buf: String,
    destructive: bool,
}

impl Writer {
    pub fn new(keywords: &'static str) -> Self {
        Writer {
            buf: keywords.to_string(),
            destructive: false,
        }
    }

    fn space(&mut self) {
        if !self.buf.is_empty() && !self.buf.ends_with([' ', '(', '\n']) {
            self.buf.push(' ');
        }
    }

    /// Static SQL keywords.
    pub fn kw(mut self, keywords: &'static str) -> Self {
        self.space();
        self.buf.push_str(keywords);
        self
    }

    /// A quoted identifier.
    pub fn ident(mut self, name: &str) -> Self {
        self.space();
        self.buf.push_str(&ident(name));
        self
    }

    /// A quoted `schema.name`.
    pub fn qname(mut self, schema: &str, name: &str) -> Self {
        self.space();
        self.buf.push_str(&qname(schema, name));
        self
    }

    /// An already-quoted name produced by [`ident`]/[`qname`].
    pub fn quoted(mut self, quoted: &str) -> Self {
        self.space();
        self.buf.push_str(quoted);
        self
    }

    /// A string literal.
    pub fn lit(mut self, value: &str) -> Self {
        self.space();
        self.buf.push_str(&literal(value));
        self
    }

    /// An integer.
    pub fn int(mut self, v: i64) -> Self {
        self.space();
        self.buf.push_str(&v.to_string());
        self
    }

    /// Text deparsed by PostgreSQL (`pg_get_*def`, `format_type`,
    /// `pg_get_expr`) and stored in a snapshot.
    pub fn def(mut self, catalog_text: &str) -> Self {
        self.space();
        self.buf.push_str(catalog_text);
        self
    }

    /// Append without a separating space (e.g. `(` or `)`).
    pub fn glue(mut self, punct: &'static str) -> Self {
        self.buf.push_str(punct);
        self
    }

    pub fn destructive(mut self) -> Self {
        self.destructive = true;
        self
    }

    pub fn build(self) -> Statement {
        Statement {
            sql: self.buf,
            destructive: self.destructive,
        }
    }
}

/// Render statements as a script; destructive ones are preceded by a marker
/// comment.
pub fn script(statements: &[Statement]) -> String {
    let mut out = String::new();
    for s in statements {
        if s.destructive {
            out.push_str("-- destructive\n");
        }
        out.push_str(&s.sql);
        out.push_str(";\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(ident("users"), "users");
        assert_eq!(ident("Users"), "\"Users\"");
        assert_eq!(ident("user"), "\"user\"");
        assert_eq!(
            ident("a\"; drop table x; --"),
            "\"a\"\"; drop table x; --\""
        );
        assert_eq!(ident("día"), "\"día\"");
        assert_eq!(ident("1a"), "\"1a\"");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(literal("a\\b'"), "E'a\\\\b'''");
    }

    #[test]
    fn writer_spacing() {
        let s = Writer::new("ALTER TABLE")
            .qname("public", "t")
            .kw("ADD COLUMN")
            .ident("Name")
            .def("text")
            .build();
        assert_eq!(s.sql, "ALTER TABLE public.t ADD COLUMN \"Name\" text");
    }
}
