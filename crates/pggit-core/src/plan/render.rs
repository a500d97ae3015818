//! CREATE, DROP and COMMENT statements for single objects.

use super::publication;
use crate::model::{Column, Grants, Object, Ownership, Table};
use crate::sql::{ident, qname, Statement, Writer};
use crate::tree::Tree;

/// `COMMENT ON <target> IS ...` (or `IS NULL`).
pub fn comment_on(target_kw: &'static str, target: &str, comment: Option<&str>) -> Statement {
    let w = Writer::new("COMMENT ON")
        .kw(target_kw)
        .quoted(target)
        .kw("IS");
    match comment {
        Some(c) => w.lit(c),
        None => w.kw("NULL"),
    }
    .build()
}

/// The `COMMENT ON` keyword and target for an object.
pub fn comment_target(tree: &Tree, object: &Object) -> (&'static str, String) {
    let table = |t: &str| tree.qualified(t);
    match object {
        Object::Schema { name, .. } => ("SCHEMA", ident(name)),
        Object::Extension { name, .. } => ("EXTENSION", ident(name)),
        Object::Enum { schema, name, .. }
        | Object::Composite { schema, name, .. }
        | Object::Range { schema, name, .. } => ("TYPE", qname(schema, name)),
        Object::Domain { schema, name, .. } => ("DOMAIN", qname(schema, name)),
        Object::Sequence { schema, name, .. } => ("SEQUENCE", qname(schema, name)),
        Object::Table(t) if t.foreign.is_some() => ("FOREIGN TABLE", qname(&t.schema, &t.name)),
        Object::Table(t) => ("TABLE", qname(&t.schema, &t.name)),
        Object::ForeignDataWrapper { name, .. } => ("FOREIGN DATA WRAPPER", ident(name)),
        Object::ForeignServer { name, .. } => ("SERVER", ident(name)),
        Object::Constraint { table: t, name, .. } => {
            ("CONSTRAINT", format!("{} ON {}", ident(name), table(t)))
        }
        Object::Index { table: t, name, .. } => ("INDEX", index_qname(tree, t, name)),
        Object::View {
            schema,
            name,
            materialized,
            ..
        } => (
            if *materialized {
                "MATERIALIZED VIEW"
            } else {
                "VIEW"
            },
            qname(schema, name),
        ),
        Object::Function {
            schema,
            name,
            routine,
            identity_args,
            ..
        } => (
            match routine.as_str() {
                "procedure" => "PROCEDURE",
                "aggregate" => "AGGREGATE",
                _ => "FUNCTION",
            },
            format!("{}({identity_args})", qname(schema, name)),
        ),
        Object::Trigger { table: t, name, .. } => {
            ("TRIGGER", format!("{} ON {}", ident(name), table(t)))
        }
        Object::Policy { table: t, name, .. } => {
            ("POLICY", format!("{} ON {}", ident(name), table(t)))
        }
        Object::Statistics { schema, name, .. } => ("STATISTICS", qname(schema, name)),
        Object::Collation { schema, name, .. } => ("COLLATION", qname(schema, name)),
        Object::TextSearchDictionary { schema, name, .. } => {
            ("TEXT SEARCH DICTIONARY", qname(schema, name))
        }
        Object::TextSearchConfiguration { schema, name, .. } => {
            ("TEXT SEARCH CONFIGURATION", qname(schema, name))
        }
        Object::Publication(p) => ("PUBLICATION", ident(&p.name)),
        Object::EventTrigger { name, .. } => ("EVENT TRIGGER", ident(name)),
        Object::Cast { source, target, .. } => ("CAST", format!("({source} AS {target})")),
        Object::Operator {
            schema,
            name,
            left,
            right,
            ..
        } => (
            "OPERATOR",
            format!(
                "{}.{name} ({}, {right})",
                ident(schema),
                left.as_deref().unwrap_or("NONE")
            ),
        ),
        Object::OperatorFamily {
            schema,
            name,
            method,
            ..
        } => (
            "OPERATOR FAMILY",
            format!("{} USING {}", qname(schema, name), ident(method)),
        ),
        Object::OperatorClass {
            schema,
            name,
            method,
            ..
        } => (
            "OPERATOR CLASS",
            format!("{} USING {}", qname(schema, name), ident(method)),
        ),
        Object::Rows(r) => ("TABLE", table(&r.table)),
        Object::DefaultGrants(_) => ("SCHEMA", String::new()),
        Object::Grants(Grants { target, .. }) | Object::Owner(Ownership { target, .. }) => {
            match tree.get(target) {
                Some(o) => comment_target(tree, o),
                None => ("TABLE", table(target)),
            }
        }
    }
}

/// An index lives in its table's schema.
pub fn index_qname(tree: &Tree, table: &str, name: &str) -> String {
    match tree.get(table).and_then(Object::schema) {
        Some(s) => qname(s, name),
        None => ident(name),
    }
}

/// Column definition inside `CREATE TABLE` / `ADD COLUMN`.
pub fn column_def(c: &Column) -> Writer {
    let mut w = Writer::new("").ident(&c.name).def(&c.data_type);
    if !c.options.is_empty() {
        w = w.kw("OPTIONS").def(&options_list(&c.options));
    }
    if let Some(coll) = &c.collation {
        w = w.kw("COLLATE").def(coll);
    }
    if let Some(g) = &c.generated {
        w = w.kw("GENERATED ALWAYS AS (").def(g).glue(") STORED");
    } else if let Some(d) = &c.default {
        w = w.kw("DEFAULT").def(d);
    }
    if let Some(id) = &c.identity {
        w = w
            .kw(if id.always {
                "GENERATED ALWAYS AS IDENTITY"
            } else {
                "GENERATED BY DEFAULT AS IDENTITY"
            })
            .kw("(SEQUENCE NAME")
            .def(&id.sequence);
        if let Some(o) = &id.options {
            w = w.def(&o.render(""));
        }
        w = w.glue(")");
    }
    if c.not_null {
        if let Some(n) = &c.not_null_name {
            w = w.kw("CONSTRAINT").ident(n);
        }
        w = w.kw("NOT NULL");
    }
    w
}

/// `ALTER TABLE ... ENABLE/DISABLE/FORCE/NO FORCE ROW LEVEL SECURITY`.
pub fn row_security(t: &Table, enable: bool, force: bool) -> Statement {
    let w = Writer::new("ALTER TABLE").qname(&t.schema, &t.name);
    match (enable, force) {
        (true, false) => w.kw("ENABLE ROW LEVEL SECURITY"),
        (false, false) => w.kw("DISABLE ROW LEVEL SECURITY"),
        (_, true) if t.force_row_security => w.kw("FORCE ROW LEVEL SECURITY"),
        _ => w.kw("NO FORCE ROW LEVEL SECURITY"),
    }
    .build()
}

fn create_table(tree: &Tree, t: &Table) -> Vec<Statement> {
    let mut w = Writer::new(if t.foreign.is_some() {
        "CREATE FOREIGN TABLE"
    } else if t.unlogged {
        "CREATE UNLOGGED TABLE"
    } else {
        "CREATE TABLE"
    })
    .qname(&t.schema, &t.name);
    if let Some((parent, bound)) = &t.partition_of {
        w = w
            .kw("PARTITION OF")
            .quoted(&tree.qualified(parent))
            .def(bound);
    } else if let Some(ty) = &t.of_type {
        w = w.kw("OF").quoted(&tree.qualified(ty));
        let options: Vec<String> = t
            .columns
            .iter()
            .filter(|c| c.default.is_some() || c.not_null)
            .map(|c| {
                let mut o = Column {
                    data_type: String::new(),
                    collation: None,
                    ..c.clone()
                };
                o.identity = None;
                let def = column_def(&o).build().sql;
                // `name  DEFAULT ...`: the type's own column, with options.
                let rest = def
                    .strip_prefix(&ident(&c.name))
                    .unwrap_or(&def)
                    .trim_start();
                format!("    {} WITH OPTIONS {rest}", ident(&c.name))
            })
            .collect();
        if !options.is_empty() {
            w = w.glue(" (\n").def(&options.join(",\n")).glue("\n)");
        }
    } else {
        let via_inherits = created_with_inherits(tree, t);
        let cols: Vec<String> = t
            .columns
            .iter()
            .filter(|c| !(via_inherits && c.inherited))
            .map(|c| format!("    {}", column_def(c).build().sql))
            .collect();
        // Column definitions were built by the writer; join them verbatim.
        w = if cols.is_empty() {
            w.glue(" ()")
        } else {
            w.glue(" (\n").def(&cols.join(",\n")).glue("\n)")
        };
        if via_inherits {
            let parents: Vec<String> = t.inherits.iter().map(|p| tree.qualified(p)).collect();
            w = w.kw("INHERITS (").def(&parents.join(", ")).glue(")");
        }
    }
    if let Some(key) = &t.partition_key {
        w = w.kw("PARTITION BY").def(key);
    }
    if let Some(f) = &t.foreign {
        w = w.kw("SERVER").quoted(&tree.qualified(&f.server));
        if !f.options.is_empty() {
            w = w.kw("OPTIONS").def(&options_list(&f.options));
        }
    }
    if !t.options.is_empty() {
        w = w.kw("WITH (").def(&t.options.join(", ")).glue(")");
    }
    let mut out = vec![w.build()];
    if created_with_inherits(tree, t) {
        out.extend(inherited_column_settings(tree, t));
    }
    if t.row_security {
        out.push(row_security(t, true, false));
    }
    if t.force_row_security {
        out.push(row_security(t, true, true));
    }
    if let Some(c) = &t.comment {
        let kw = if t.foreign.is_some() {
            "FOREIGN TABLE"
        } else {
            "TABLE"
        };
        out.push(comment_on(kw, &qname(&t.schema, &t.name), Some(c)));
    }
    let via_inherits = created_with_inherits(tree, t);
    for c in &t.columns {
        if let Some(cm) = &c.comment {
            out.push(comment_on(
                "COLUMN",
                &format!("{}.{}", qname(&t.schema, &t.name), ident(&c.name)),
                Some(cm),
            ));
        }
        let implied = match parent_column(tree, t, &c.name) {
            Some(pc) if via_inherits => super::settings::inherited(pc),
            _ => crate::model::ColumnSettings::default(),
        };
        out.extend(super::settings::change(
            &qname(&t.schema, &t.name),
            t.foreign.is_some(),
            &c.name,
            &implied,
            &c.settings,
            false,
        ));
    }
    out
}

/// Whether `t` is created with `INHERITS (...)`: its columns are in the
/// order that gives (the parents' columns first, in the parents' order).
/// Otherwise it is created alone and inherits by `ALTER TABLE ... INHERIT`
/// once its constraints exist, which keeps its column order (all of its
/// columns are then its own as well as inherited).
pub fn created_with_inherits(tree: &Tree, t: &Table) -> bool {
    if t.inherits.is_empty() || t.partition_of.is_some() {
        return false;
    }
    let mut names: Vec<&str> = Vec::new();
    for p in &t.inherits {
        if let Some(Object::Table(pt)) = tree.get(p) {
            for c in &pt.columns {
                if !names.contains(&c.name.as_str()) {
                    names.push(&c.name);
                }
            }
        }
    }
    let inherited_first = t
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .take(names.len())
        .eq(names.iter().copied());
    inherited_first || t.columns.iter().any(|c| c.inherited)
}

/// The first parent's column of that name: what an inheriting table's
/// column starts as.
pub fn parent_column<'t>(tree: &'t Tree, t: &Table, name: &str) -> Option<&'t Column> {
    t.inherits.iter().find_map(|p| match tree.get(p) {
        Some(Object::Table(pt)) => pt.columns.iter().find(|c| c.name == name),
        _ => None,
    })
}

/// Defaults and NOT NULL of columns a table created with `INHERITS` does
/// not list, where they differ from what it inherits.
fn inherited_column_settings(tree: &Tree, t: &Table) -> Vec<Statement> {
    let mut out = Vec::new();
    for c in t.columns.iter().filter(|c| c.inherited) {
        let Some(pc) = parent_column(tree, t, &c.name) else {
            continue;
        };
        let at = || {
            Writer::new("ALTER TABLE")
                .qname(&t.schema, &t.name)
                .kw("ALTER COLUMN")
                .ident(&c.name)
        };
        if c.generated.is_none() && c.default != pc.default {
            out.push(match &c.default {
                Some(d) => at().kw("SET DEFAULT").def(d).build(),
                None => at().kw("DROP DEFAULT").build(),
            });
        }
        if c.not_null && !pc.not_null {
            out.push(at().kw("SET NOT NULL").build());
        }
    }
    out
}

/// `key=value` options (as the catalog keeps them) as an `OPTIONS` list:
/// `(key 'value', ...)`.
pub fn options_list(options: &[String]) -> String {
    let items: Vec<String> = options
        .iter()
        .map(|o| {
            let (k, v) = o.split_once('=').unwrap_or((o, ""));
            format!("{} {}", ident(k), crate::sql::literal(v))
        })
        .collect();
    format!("({})", items.join(", "))
}

/// `OPTIONS (SET k 'v', ADD k 'v', DROP k)` turning options `a` into `b`,
/// or `None` when they are the same.
pub fn options_change(a: &[String], b: &[String]) -> Option<String> {
    let split = |o: &String| -> (String, String) {
        let (k, v) = o.split_once('=').unwrap_or((o, ""));
        (k.to_string(), v.to_string())
    };
    let (a, b): (Vec<_>, Vec<_>) = (a.iter().map(split).collect(), b.iter().map(split).collect());
    if a == b {
        return None;
    }
    // Options keep their order (pg_dump prints it): kept ones stay in
    // place and added ones go last; when that is not `b`'s order, all of
    // them are dropped and added again.
    let kept: Vec<&String> = a
        .iter()
        .filter(|(k, _)| b.iter().any(|(n, _)| n == k))
        .map(|(k, _)| k)
        .collect();
    let in_place = b
        .iter()
        .map(|(k, _)| k)
        .take(kept.len())
        .eq(kept.iter().copied());
    if !in_place {
        let items: Vec<String> = a
            .iter()
            .map(|(k, _)| format!("DROP {}", ident(k)))
            .chain(
                b.iter()
                    .map(|(k, v)| format!("ADD {} {}", ident(k), crate::sql::literal(v))),
            )
            .collect();
        return Some(format!("({})", items.join(", ")));
    }
    let mut items = Vec::new();
    for (k, _) in &a {
        if !b.iter().any(|(n, _)| n == k) {
            items.push(format!("DROP {}", ident(k)));
        }
    }
    for (k, v) in &b {
        match a.iter().find(|(o, _)| o == k) {
            Some((_, old)) if old == v => {}
            Some(_) => items.push(format!("SET {} {}", ident(k), crate::sql::literal(v))),
            None => items.push(format!("ADD {} {}", ident(k), crate::sql::literal(v))),
        }
    }
    Some(format!("({})", items.join(", ")))
}

/// `ALTER TABLE t INHERIT parent` (`NO INHERIT` is `table::disinherit`,
/// which runs before the renames).
pub fn inherit(tree: &Tree, t: &Table, parent: &str) -> Statement {
    Writer::new("ALTER TABLE")
        .qname(&t.schema, &t.name)
        .kw("INHERIT")
        .quoted(&tree.qualified(parent))
        .build()
}

/// Statements that create `object` (and its comment).
pub fn create(tree: &Tree, object: &Object) -> Vec<Statement> {
    create_or_replace(tree, object, false)
}

/// [`create`], with `CREATE OR REPLACE` for a (non-materialized) view when
/// `replace` is set.
pub fn create_or_replace(tree: &Tree, object: &Object, replace: bool) -> Vec<Statement> {
    let table = |t: &str| tree.qualified(t);
    let stmt = match object {
        Object::Table(t) => return create_table(tree, t),
        // Rows and privileges have phases of their own in the planner
        // (`plan::data`, `plan::grants`).
        Object::Rows(_) | Object::Grants(_) | Object::DefaultGrants(_) | Object::Owner(_) => {
            return Vec::new()
        }
        Object::Schema { name, .. } => Writer::new("CREATE SCHEMA").ident(name),
        Object::Extension { name, schema, .. } => Writer::new("CREATE EXTENSION IF NOT EXISTS")
            .ident(name)
            .kw("WITH SCHEMA")
            .ident(schema),
        Object::Enum {
            schema,
            name,
            labels,
            ..
        } => {
            let labels: Vec<String> = labels.iter().map(|l| crate::sql::literal(l)).collect();
            Writer::new("CREATE TYPE")
                .qname(schema, name)
                .kw("AS ENUM (")
                .def(&labels.join(", "))
                .glue(")")
        }
        Object::Composite {
            schema,
            name,
            attributes,
            ..
        } => {
            let attrs: Vec<String> = attributes.iter().map(attribute_def).collect();
            Writer::new("CREATE TYPE")
                .qname(schema, name)
                .kw("AS (")
                .def(&attrs.join(", "))
                .glue(")")
        }
        Object::Domain {
            schema,
            name,
            base,
            collation,
            default,
            not_null,
            checks,
            ..
        } => {
            let mut w = Writer::new("CREATE DOMAIN")
                .qname(schema, name)
                .kw("AS")
                .def(base);
            if let Some(c) = collation {
                w = w.kw("COLLATE").def(c);
            }
            if let Some(d) = default {
                w = w.kw("DEFAULT").def(d);
            }
            if *not_null {
                w = w.kw("NOT NULL");
            }
            // A NOT VALID check cannot be part of CREATE DOMAIN: it is
            // added afterwards (see `domain_late_checks`).
            for c in checks.iter().filter(|c| !not_valid(&c.definition)) {
                w = w.kw("CONSTRAINT").ident(&c.name).def(&c.definition);
            }
            w
        }
        Object::Range {
            schema,
            name,
            options,
            ..
        } => Writer::new("CREATE TYPE")
            .qname(schema, name)
            .kw("AS RANGE (")
            .def(&options.join(", "))
            .glue(")"),
        Object::Sequence {
            schema,
            name,
            unlogged,
            ..
        } => sequence_options(
            Writer::new(if *unlogged {
                "CREATE UNLOGGED SEQUENCE"
            } else {
                "CREATE SEQUENCE"
            })
            .qname(schema, name),
            object,
        ),
        Object::Constraint {
            table: t,
            name,
            definition,
            ..
        } => Writer::new("ALTER TABLE")
            .quoted(&table(t))
            .kw("ADD CONSTRAINT")
            .ident(name)
            .def(definition),
        Object::Index {
            table: t,
            name,
            unique,
            definition,
            ..
        } => Writer::new(if *unique {
            "CREATE UNIQUE INDEX"
        } else {
            "CREATE INDEX"
        })
        .ident(name)
        .kw("ON")
        .quoted(&table(t))
        .def(definition),
        Object::View {
            schema,
            name,
            materialized,
            query,
            options,
            ..
        } => {
            let mut w = Writer::new(if *materialized {
                "CREATE MATERIALIZED VIEW"
            } else if replace {
                "CREATE OR REPLACE VIEW"
            } else {
                "CREATE VIEW"
            })
            .qname(schema, name);
            if !options.is_empty() {
                w = w.kw("WITH (").def(&options.join(", ")).glue(")");
            }
            w.kw("AS\n").def(query)
        }
        Object::Function {
            schema,
            name,
            routine,
            definition,
            ..
        } => Writer::new(match routine.as_str() {
            "procedure" => "CREATE OR REPLACE PROCEDURE",
            "aggregate" => "CREATE OR REPLACE AGGREGATE",
            _ => "CREATE OR REPLACE FUNCTION",
        })
        .qname(schema, name)
        .glue("(")
        .def(definition.trim_end()),
        Object::Trigger {
            name,
            definition,
            constraint,
            ..
        } => Writer::new(if *constraint {
            "CREATE CONSTRAINT TRIGGER"
        } else {
            "CREATE TRIGGER"
        })
        .ident(name)
        .def(definition),
        Object::Policy {
            table: t,
            name,
            permissive,
            command,
            roles,
            using,
            check,
            ..
        } => {
            let roles: Vec<String> = roles
                .iter()
                .map(|r| {
                    if r == "public" {
                        "PUBLIC".to_string()
                    } else {
                        ident(r)
                    }
                })
                .collect();
            let mut w = Writer::new("CREATE POLICY")
                .ident(name)
                .kw("ON")
                .quoted(&table(t))
                .kw(if *permissive {
                    "AS PERMISSIVE"
                } else {
                    "AS RESTRICTIVE"
                })
                .kw("FOR")
                .def(command)
                .kw("TO")
                .def(&roles.join(", "));
            if let Some(u) = using {
                w = w.kw("USING (").def(u).glue(")");
            }
            if let Some(c) = check {
                w = w.kw("WITH CHECK (").def(c).glue(")");
            }
            w
        }
        Object::Publication(p) => return publication::create(tree, p),
        Object::Operator {
            schema,
            name,
            left,
            right,
            function,
            options,
            ..
        } => {
            let mut clauses = vec![format!("FUNCTION = {function}")];
            if let Some(l) = left {
                clauses.push(format!("LEFTARG = {l}"));
            }
            clauses.push(format!("RIGHTARG = {right}"));
            clauses.extend(options.iter().cloned());
            Writer::new("CREATE OPERATOR")
                .def(&format!("{}.{name}", ident(schema)))
                .glue(" (")
                .def(&clauses.join(", "))
                .glue(")")
        }
        Object::ForeignDataWrapper {
            name,
            handler,
            validator,
            options,
            ..
        } => {
            let mut w = Writer::new("CREATE FOREIGN DATA WRAPPER").ident(name);
            if let Some(h) = handler {
                w = w.kw("HANDLER").def(h);
            }
            if let Some(v) = validator {
                w = w.kw("VALIDATOR").def(v);
            }
            if !options.is_empty() {
                w = w.kw("OPTIONS").def(&options_list(options));
            }
            w
        }
        Object::ForeignServer {
            name,
            wrapper,
            server_type,
            version,
            options,
            ..
        } => {
            let mut w = Writer::new("CREATE SERVER").ident(name);
            if let Some(t) = server_type {
                w = w.kw("TYPE").lit(t);
            }
            if let Some(v) = version {
                w = w.kw("VERSION").lit(v);
            }
            w = w.kw("FOREIGN DATA WRAPPER").ident(wrapper);
            if !options.is_empty() {
                w = w.kw("OPTIONS").def(&options_list(options));
            }
            w
        }
        Object::EventTrigger {
            name,
            event,
            tags,
            function,
            ..
        } => {
            let mut w = Writer::new("CREATE EVENT TRIGGER")
                .ident(name)
                .kw("ON")
                .ident(event);
            if !tags.is_empty() {
                w = w.kw("WHEN TAG IN (");
                for (i, t) in tags.iter().enumerate() {
                    if i > 0 {
                        w = w.glue(",");
                    }
                    w = w.lit(t);
                }
                w = w.glue(")");
            }
            w.kw("EXECUTE FUNCTION").def(function)
        }
        Object::TextSearchDictionary {
            schema,
            name,
            template,
            options,
            ..
        } => {
            let w = Writer::new("CREATE TEXT SEARCH DICTIONARY")
                .qname(schema, name)
                .glue("(")
                .kw("TEMPLATE =")
                .def(template);
            match options {
                Some(o) => w.glue(",").def(o),
                None => w,
            }
            .glue(")")
        }
        Object::TextSearchConfiguration {
            schema,
            name,
            parser,
            mappings,
            ..
        } => {
            let mut out = vec![Writer::new("CREATE TEXT SEARCH CONFIGURATION")
                .qname(schema, name)
                .glue("(")
                .kw("PARSER =")
                .def(parser)
                .glue(")")
                .build()];
            out.extend(ts_mappings(schema, name, &[], mappings));
            if let Some(c) = object.comment() {
                let (kw, target) = comment_target(tree, object);
                out.push(comment_on(kw, &target, Some(c)));
            }
            return out;
        }
        Object::OperatorFamily {
            schema,
            name,
            method,
            members,
            ..
        } => {
            let (_, target) = comment_target(tree, object);
            let mut out = vec![Writer::new("CREATE OPERATOR FAMILY")
                .quoted(&target)
                .build()];
            if !members.is_empty() {
                let added: Vec<String> = members.iter().map(|m| m.render()).collect();
                out.push(
                    Writer::new("ALTER OPERATOR FAMILY")
                        .qname(schema, name)
                        .kw("USING")
                        .ident(method)
                        .kw("ADD")
                        .def(&added.join(", "))
                        .build(),
                );
            }
            if let Some(c) = object.comment() {
                out.push(comment_on("OPERATOR FAMILY", &target, Some(c)));
            }
            return out;
        }
        Object::OperatorClass {
            schema,
            name,
            method,
            for_type,
            default,
            family,
            storage,
            members,
            ..
        } => {
            let mut items: Vec<String> = members.iter().map(|m| m.render()).collect();
            // A class needs one item: when its members are all the
            // family's, a STORAGE clause naming its own type says nothing.
            match storage {
                Some(st) => items.push(format!("STORAGE {st}")),
                None if items.is_empty() => items.push(format!("STORAGE {for_type}")),
                None => {}
            }
            let w = Writer::new("CREATE OPERATOR CLASS").qname(schema, name);
            let w = if *default { w.kw("DEFAULT") } else { w };
            w.kw("FOR TYPE")
                .def(for_type)
                .kw("USING")
                .ident(method)
                .kw("FAMILY")
                .quoted(&table(family))
                .kw("AS")
                .def(&items.join(", "))
        }
        Object::Cast {
            source,
            target,
            function,
            method,
            context,
            ..
        } => {
            let w = Writer::new("CREATE CAST (")
                .def(source)
                .kw("AS")
                .def(target)
                .glue(")");
            let w = match (method.as_str(), function) {
                ("inout", _) => w.kw("WITH INOUT"),
                ("function", Some(f)) => w.kw("WITH FUNCTION").def(f),
                _ => w.kw("WITHOUT FUNCTION"),
            };
            match context.as_str() {
                "assignment" => w.kw("AS ASSIGNMENT"),
                "implicit" => w.kw("AS IMPLICIT"),
                _ => w,
            }
        }
        Object::Collation {
            schema,
            name,
            definition,
            ..
        } => Writer::new("CREATE COLLATION")
            .qname(schema, name)
            .glue("(")
            .def(definition)
            .glue(")"),
        Object::Statistics {
            table: t,
            schema,
            name,
            definition,
            ..
        } => Writer::new("CREATE STATISTICS")
            .qname(schema, name)
            .def(definition)
            .kw("FROM")
            .quoted(&table(t)),
    };
    let mut out = vec![stmt.build()];
    if let Object::Trigger {
        table: t,
        name,
        enabled: Some(state),
        ..
    } = object
    {
        out.push(trigger_state(tree, t, name, Some(state)));
    }
    if let Object::Statistics {
        target: Some(n), ..
    } = object
    {
        out.push(statistics_target(object, *n));
    }
    if let Object::EventTrigger {
        name,
        enabled: Some(state),
        ..
    } = object
    {
        out.push(event_trigger_state(name, Some(state)));
    }
    if let Object::Domain {
        schema,
        name,
        checks,
        ..
    } = object
    {
        for c in checks.iter().filter(|c| not_valid(&c.definition)) {
            out.push(
                Writer::new("ALTER DOMAIN")
                    .qname(schema, name)
                    .kw("ADD CONSTRAINT")
                    .ident(&c.name)
                    .def(&c.definition)
                    .build(),
            );
        }
        for c in checks.iter().filter(|c| c.comment.is_some()) {
            out.push(domain_check_comment(schema, name, c));
        }
    }
    if let Some(c) = object.comment() {
        let (kw, target) = comment_target(tree, object);
        out.push(comment_on(kw, &target, Some(c)));
    }
    out.extend(index_comment(tree, None, object));
    out.extend(super::settings::index(tree, None, object));
    out.extend(attribute_comments(None, object));
    out
}

/// `COMMENT ON COLUMN` for the columns of a view or the attributes of a
/// composite type whose comment differs from `old`'s attribute of the same
/// name (all commented ones when there is no `old`).
pub fn attribute_comments(old: Option<&Object>, object: &Object) -> Vec<Statement> {
    let attributes = |o: &Object| -> Option<(String, String, Vec<crate::model::Attribute>)> {
        match o {
            Object::View {
                schema,
                name,
                columns,
                ..
            } => Some((schema.clone(), name.clone(), columns.clone())),
            Object::Composite {
                schema,
                name,
                attributes,
                ..
            } => Some((schema.clone(), name.clone(), attributes.clone())),
            _ => None,
        }
    };
    let Some((schema, name, attrs)) = attributes(object) else {
        return Vec::new();
    };
    let before = old
        .and_then(attributes)
        .map(|(_, _, a)| a)
        .unwrap_or_default();
    attrs
        .iter()
        .filter(|a| {
            let was = before
                .iter()
                .find(|b| b.name == a.name)
                .and_then(|b| b.comment.as_ref());
            was != a.comment.as_ref() && (old.is_some() || a.comment.is_some())
        })
        .map(|a| {
            let target = format!("{}.{}", qname(&schema, &name), ident(&a.name));
            comment_on("COLUMN", &target, a.comment.as_deref())
        })
        .collect()
}

/// `ALTER TABLE ... ENABLE|DISABLE [REPLICA|ALWAYS] TRIGGER name`.
pub fn trigger_state(tree: &Tree, table: &str, name: &str, state: Option<&str>) -> Statement {
    Writer::new("ALTER TABLE")
        .quoted(&tree.qualified(table))
        .kw(match state {
            Some("disabled") => "DISABLE TRIGGER",
            Some("replica") => "ENABLE REPLICA TRIGGER",
            Some("always") => "ENABLE ALWAYS TRIGGER",
            _ => "ENABLE TRIGGER",
        })
        .ident(name)
        .build()
}

/// `ALTER TEXT SEARCH CONFIGURATION ... ADD / ALTER / DROP MAPPING` that
/// turn mappings `old` into `new`.
pub fn ts_mappings(
    schema: &str,
    name: &str,
    old: &[(String, Vec<String>)],
    new: &[(String, Vec<String>)],
) -> Vec<Statement> {
    let head = || Writer::new("ALTER TEXT SEARCH CONFIGURATION").qname(schema, name);
    let mut out = Vec::new();
    for (token, _) in old {
        if !new.iter().any(|(t, _)| t == token) {
            out.push(head().kw("DROP MAPPING FOR").ident(token).build());
        }
    }
    for (token, dicts) in new {
        let kw = match old.iter().find(|(t, _)| t == token) {
            Some((_, was)) if was == dicts => continue,
            Some(_) => "ALTER MAPPING FOR",
            None => "ADD MAPPING FOR",
        };
        out.push(
            head()
                .kw(kw)
                .ident(token)
                .kw("WITH")
                .def(&dicts.join(", "))
                .build(),
        );
    }
    out
}

/// `ALTER EVENT TRIGGER ... ENABLE/DISABLE ...` for the state `state`.
pub fn event_trigger_state(name: &str, state: Option<&str>) -> Statement {
    Writer::new("ALTER EVENT TRIGGER")
        .ident(name)
        .kw(match state {
            Some("disabled") => "DISABLE",
            Some("replica") => "ENABLE REPLICA",
            Some("always") => "ENABLE ALWAYS",
            _ => "ENABLE",
        })
        .build()
}

/// `ALTER TABLE ... REPLICA IDENTITY ...` for the table's setting.
pub fn replica_identity(t: &Table) -> Statement {
    let w = Writer::new("ALTER TABLE")
        .qname(&t.schema, &t.name)
        .kw("REPLICA IDENTITY");
    match t.replica_identity.as_deref() {
        Some("full") => w.kw("FULL"),
        Some("nothing") => w.kw("NOTHING"),
        Some(other) => match other.strip_prefix("index:") {
            Some(index) => w.kw("USING INDEX").ident(index),
            None => w.kw("DEFAULT"),
        },
        None => w.kw("DEFAULT"),
    }
    .build()
}

/// `COMMENT ON CONSTRAINT name ON DOMAIN d IS ...`.
pub fn domain_check_comment(
    schema: &str,
    domain: &str,
    check: &crate::model::NamedDef,
) -> Statement {
    let w = Writer::new("COMMENT ON CONSTRAINT")
        .ident(&check.name)
        .kw("ON DOMAIN")
        .qname(schema, domain)
        .kw("IS");
    match &check.comment {
        Some(c) => w.lit(c),
        None => w.kw("NULL"),
    }
    .build()
}

/// A constraint definition that leaves existing rows unchecked.
pub fn not_valid(definition: &str) -> bool {
    definition.ends_with(" NOT VALID")
}

/// `COMMENT ON INDEX` for the index behind a constraint, when it differs
/// from `old`'s.
pub fn index_comment(tree: &Tree, old: Option<&Object>, object: &Object) -> Option<Statement> {
    let Object::Constraint {
        table,
        name,
        index_comment,
        ..
    } = object
    else {
        return None;
    };
    let before = match old {
        Some(Object::Constraint { index_comment, .. }) => index_comment.as_deref(),
        _ => None,
    };
    (before != index_comment.as_deref()).then(|| {
        comment_on(
            "INDEX",
            &index_qname(tree, table, name),
            index_comment.as_deref(),
        )
    })
}

/// The option list of `CREATE/ALTER SEQUENCE` appended to `w`.
pub fn sequence_options(w: Writer, object: &Object) -> Writer {
    let Object::Sequence {
        data_type,
        increment,
        min,
        max,
        start,
        cache,
        cycle,
        ..
    } = object
    else {
        return w;
    };
    w.kw("AS")
        .def(data_type)
        .kw("INCREMENT BY")
        .int(*increment)
        .kw("MINVALUE")
        .int(*min)
        .kw("MAXVALUE")
        .int(*max)
        .kw("START WITH")
        .int(*start)
        .kw("CACHE")
        .int(*cache)
        .kw(if *cycle { "CYCLE" } else { "NO CYCLE" })
}

/// Attribute of a composite type.
pub fn attribute_def(a: &crate::model::Attribute) -> String {
    let mut s = format!("{} {}", ident(&a.name), a.data_type);
    if let Some(c) = &a.collation {
        s.push_str(" COLLATE ");
        s.push_str(c);
    }
    s
}

/// Statement that drops `object`. `schema_of` maps a schema name to the
/// name it has at the time the statement runs.
pub fn drop(tree: &Tree, object: &Object, schema_of: &dyn Fn(&str) -> String) -> Statement {
    let table = |t: &str| tree.qualified(t);
    let q = |s: &str, n: &str| qname(&schema_of(s), n);
    match object {
        Object::Schema { name, .. } => Writer::new("DROP SCHEMA").ident(name),
        Object::Extension { name, .. } => Writer::new("DROP EXTENSION").ident(name),
        Object::Enum { schema, name, .. }
        | Object::Composite { schema, name, .. }
        | Object::Range { schema, name, .. } => Writer::new("DROP TYPE").quoted(&q(schema, name)),
        Object::Domain { schema, name, .. } => Writer::new("DROP DOMAIN").quoted(&q(schema, name)),
        Object::Sequence { schema, name, .. } => Writer::new("DROP SEQUENCE")
            .quoted(&q(schema, name))
            .destructive(),
        // A foreign table holds no data of its own.
        Object::Table(t) if t.foreign.is_some() => {
            Writer::new("DROP FOREIGN TABLE").quoted(&q(&t.schema, &t.name))
        }
        Object::Table(t) => Writer::new("DROP TABLE")
            .quoted(&q(&t.schema, &t.name))
            .destructive(),
        Object::Constraint { table: t, name, .. } => Writer::new("ALTER TABLE")
            .quoted(&table(t))
            .kw("DROP CONSTRAINT")
            .ident(name),
        Object::Index { table: t, name, .. } => {
            Writer::new("DROP INDEX").quoted(&index_qname(tree, t, name))
        }
        Object::View {
            schema,
            name,
            materialized,
            ..
        } => Writer::new(if *materialized {
            "DROP MATERIALIZED VIEW"
        } else {
            "DROP VIEW"
        })
        .quoted(&q(schema, name)),
        Object::Function {
            schema,
            name,
            routine,
            identity_args,
            ..
        } => Writer::new(if routine == "procedure" {
            "DROP PROCEDURE"
        } else if routine == "aggregate" {
            "DROP AGGREGATE"
        } else {
            "DROP FUNCTION"
        })
        .quoted(&q(schema, name))
        .glue("(")
        .def(identity_args)
        .glue(")"),
        Object::Trigger { table: t, name, .. } => Writer::new("DROP TRIGGER")
            .ident(name)
            .kw("ON")
            .quoted(&table(t)),
        Object::Policy { table: t, name, .. } => Writer::new("DROP POLICY")
            .ident(name)
            .kw("ON")
            .quoted(&table(t)),
        Object::Statistics { schema, name, .. } => {
            Writer::new("DROP STATISTICS").quoted(&q(schema, name))
        }
        Object::Collation { schema, name, .. } => {
            Writer::new("DROP COLLATION").quoted(&q(schema, name))
        }
        Object::Publication(p) => Writer::new("DROP PUBLICATION").ident(&p.name),
        Object::EventTrigger { name, .. } => Writer::new("DROP EVENT TRIGGER").ident(name),
        Object::ForeignDataWrapper { name, .. } => {
            Writer::new("DROP FOREIGN DATA WRAPPER").ident(name)
        }
        Object::ForeignServer { name, .. } => Writer::new("DROP SERVER").ident(name),
        Object::Operator { .. } => {
            let (_, target) = comment_target(tree, object);
            Writer::new("DROP OPERATOR").def(&target)
        }
        Object::OperatorFamily { .. } | Object::OperatorClass { .. } => {
            let (kw, target) = comment_target(tree, object);
            Writer::new(if kw == "OPERATOR CLASS" {
                "DROP OPERATOR CLASS"
            } else {
                "DROP OPERATOR FAMILY"
            })
            .quoted(&target)
        }
        Object::TextSearchDictionary { schema, name, .. } => {
            Writer::new("DROP TEXT SEARCH DICTIONARY").quoted(&q(schema, name))
        }
        Object::TextSearchConfiguration { schema, name, .. } => {
            Writer::new("DROP TEXT SEARCH CONFIGURATION").quoted(&q(schema, name))
        }
        Object::Cast { source, target, .. } => Writer::new("DROP CAST (")
            .def(source)
            .kw("AS")
            .def(target)
            .glue(")"),
        // The planner never drops reference data (untracking keeps the
        // rows); dropping the object itself means emptying the table.
        Object::Rows(r) => Writer::new("DELETE FROM")
            .quoted(&table(&r.table))
            .destructive(),
        // Privileges go with their object; the planner revokes them in its
        // own phase (`plan::grants`). Nothing to run here.
        Object::Grants(_) | Object::DefaultGrants(_) | Object::Owner(_) => Writer::new("SELECT"),
    }
    .build()
}

/// `ALTER STATISTICS ... SET STATISTICS n` (`-1`: back to the default).
pub fn statistics_target(object: &Object, target: i32) -> Statement {
    Writer::new("ALTER STATISTICS")
        .qname(object.schema().unwrap_or_default(), object.name())
        .kw("SET STATISTICS")
        .int(i64::from(target))
        .build()
}
