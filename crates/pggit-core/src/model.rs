//! The schema model: one [`Object`] per tracked schema object, with its full
//! canonical definition. References between objects use stable identities
//! ([`Id`]), never names, so a rename changes one object only.

use serde::{Deserialize, Serialize};

/// Stable identity of an object (or of a column inside a table).
///
/// During introspection this holds a catalog key such as `rel:16384`; after
/// identity assignment it holds a stable id that survives renames.
pub type Id = String;

/// One tracked schema object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Object {
    Schema {
        name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    Extension {
        name: String,
        schema: String,
        version: String,
    },
    Enum {
        schema: String,
        name: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        labels: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    Composite {
        schema: String,
        name: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attributes: Vec<Attribute>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    Domain {
        schema: String,
        name: String,
        base: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        collation: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        default: Option<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        not_null: bool,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        checks: Vec<NamedDef>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    Range {
        schema: String,
        name: String,
        /// The option list of `CREATE TYPE ... AS RANGE (...)`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        options: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    Sequence {
        schema: String,
        name: String,
        data_type: String,
        increment: i64,
        min: i64,
        max: i64,
        start: i64,
        cache: i64,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        cycle: bool,
        /// `UNLOGGED` (PostgreSQL 15+).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        unlogged: bool,
        /// Owning table and column (`OWNED BY`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owned_by: Option<(Id, Id)>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    Table(Table),
    Constraint {
        table: Id,
        name: String,
        /// `pg_get_constraintdef` output, e.g. `PRIMARY KEY (id)`.
        definition: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
        /// Comment on the index that backs a primary key, unique or
        /// exclusion constraint (`COMMENT ON INDEX`; the index has the
        /// constraint's name).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        index_comment: Option<String>,
        /// The table is clustered on the constraint's index (`CLUSTER ON`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        clustered: bool,
    },
    Index {
        table: Id,
        name: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        unique: bool,
        /// Everything after `ON table`, e.g. `USING btree (email) WHERE ...`.
        definition: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
        /// The table is clustered on this index (`CLUSTER ON`).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        clustered: bool,
        /// Statistics targets of expression columns (`ALTER INDEX ...
        /// ALTER COLUMN n SET STATISTICS t`), as (column number, target).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        statistics: Vec<(i32, i32)>,
    },
    View {
        schema: String,
        name: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        materialized: bool,
        query: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        columns: Vec<Attribute>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        options: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    Function {
        schema: String,
        name: String,
        /// `function`, `procedure`, `window` or `aggregate`.
        routine: String,
        identity_args: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        result: Option<String>,
        /// `pg_get_functiondef` output after `CREATE OR REPLACE FUNCTION name(`;
        /// for an aggregate, its arguments and options after
        /// `CREATE OR REPLACE AGGREGATE name(`.
        definition: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    Trigger {
        table: Id,
        name: String,
        /// `pg_get_triggerdef` output after `CREATE [CONSTRAINT] TRIGGER name `.
        definition: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        constraint: bool,
        /// When it fires, if not the default (`ENABLE TRIGGER`):
        /// `disabled`, `replica` or `always` (`session_replication_role`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        enabled: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    Policy {
        table: Id,
        name: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        permissive: bool,
        command: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        roles: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        using: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        check: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// A text search dictionary (`CREATE TEXT SEARCH DICTIONARY`).
    TextSearchDictionary {
        schema: String,
        name: String,
        /// The template, qualified (`pg_catalog.snowball`).
        template: String,
        /// The template's options as the catalog keeps them
        /// (`language = 'english', stopwords = 'english'`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        options: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// A text search configuration (`CREATE TEXT SEARCH CONFIGURATION`)
    /// and its mappings.
    TextSearchConfiguration {
        schema: String,
        name: String,
        /// The parser, qualified (`pg_catalog."default"`).
        parser: String,
        /// Token type alias and the dictionaries it is looked up in, in the
        /// parser's token order.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        mappings: Vec<(String, Vec<String>)>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// A collation (`CREATE COLLATION`).
    Collation {
        schema: String,
        name: String,
        /// What goes between the parentheses of `CREATE COLLATION name (...)`:
        /// provider, locale(s), deterministic, rules.
        definition: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// An extended statistics object (`CREATE STATISTICS`) on a table; it
    /// has a schema of its own.
    Statistics {
        table: Id,
        schema: String,
        name: String,
        /// `pg_get_statisticsobjdef` between the object's name and
        /// ` FROM table`: the kinds, when not all of them, and the `ON` list.
        definition: String,
        /// `ALTER STATISTICS ... SET STATISTICS n`, when not the default.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        target: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// The rows of a reference-data table: a migration tool's bookkeeping
    /// (`django_migrations`, `schema_migrations`, ...) or a table marked
    /// with `pggit reference add`. Versioned with the schema, merged by key.
    Rows(Rows),
    /// A publication for logical replication (`CREATE PUBLICATION`).
    Publication(Publication),
    /// Privileges on an object (`GRANT`), held by roles other than its
    /// owner, when they differ from what PostgreSQL gives a new object of
    /// its kind.
    Grants(Grants),
    /// `ALTER DEFAULT PRIVILEGES`: what objects a role creates later are
    /// granted, database-wide or in one schema.
    DefaultGrants(DefaultGrants),
    /// The role that owns an object (`ALTER ... OWNER TO`).
    Owner(Ownership),
    /// `CREATE CAST`: a conversion between two types.
    Cast {
        /// Source and target types, as `format_type` prints them.
        source: String,
        target: String,
        /// `WITH FUNCTION`: the function, as `regprocedure` prints it;
        /// `None` with `method` `inout` or `binary`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        function: Option<String>,
        /// `function`, `inout` (`WITH INOUT`) or `binary` (`WITHOUT FUNCTION`).
        method: String,
        /// `explicit`, `assignment` (`AS ASSIGNMENT`) or `implicit`.
        context: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// `CREATE OPERATOR`. Identified by schema, symbol and operand types.
    Operator {
        schema: String,
        /// The operator's symbol (`===`): operator characters only, never
        /// quoted.
        name: String,
        /// The left operand's type; `None` for a prefix operator.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        left: Option<String>,
        right: String,
        /// The function, as `regproc` prints it.
        function: String,
        /// The other clauses of `CREATE OPERATOR`, written out
        /// (`COMMUTATOR = OPERATOR(public.===)`, `HASHES`, ...).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        options: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// `CREATE OPERATOR FAMILY ... USING method`, with its loose members:
    /// those added by `ALTER OPERATOR FAMILY ... ADD`, bound to no class.
    /// The family `CREATE OPERATOR CLASS` makes implicitly is one too.
    OperatorFamily {
        schema: String,
        name: String,
        /// The index access method (`btree`, `gist`, ...).
        method: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        members: Vec<OpMember>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// `CREATE OPERATOR CLASS`: its family is always written out.
    OperatorClass {
        schema: String,
        name: String,
        method: String,
        /// The indexed data type (`FOR TYPE`).
        for_type: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        default: bool,
        /// The family (an [`Object::OperatorFamily`] of the same method).
        family: Id,
        /// `STORAGE`: the type stored in the index, when it differs.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        storage: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        members: Vec<OpMember>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// `CREATE FOREIGN DATA WRAPPER` (one an extension creates is the
    /// extension's).
    ForeignDataWrapper {
        name: String,
        /// The handler function, as `regproc` prints it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        handler: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        validator: Option<String>,
        /// `key=value`, as the catalog keeps them.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        options: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// `CREATE SERVER`: a foreign server of a wrapper (named).
    ForeignServer {
        name: String,
        wrapper: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        server_type: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        version: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        options: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
    /// `CREATE EVENT TRIGGER`: a database-wide trigger on DDL commands.
    EventTrigger {
        name: String,
        /// `ddl_command_start`, `ddl_command_end`, `sql_drop`,
        /// `table_rewrite` or `login` (PostgreSQL 17).
        event: String,
        /// `WHEN TAG IN (...)`, as the catalog lists them; empty: every command.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tags: Vec<String>,
        /// The function, as `regprocedure` prints it (`public.f()`).
        function: String,
        /// `None` fires in origin and local sessions (the default);
        /// `disabled`, `replica` or `always` otherwise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        enabled: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    },
}

/// Who owns one object: a schema, table, view, sequence (not one owned by
/// a column: it follows its table), routine, type, collation, extended
/// statistics, publication, event trigger or text search object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ownership {
    /// The object owned.
    pub target: Id,
    /// The owning role.
    pub role: String,
}

/// Default privileges of one role for one kind of object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DefaultGrants {
    /// The role whose new objects get them (`FOR ROLE`).
    pub role: String,
    /// `IN SCHEMA`; `None` for the database-wide defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// `tables`, `sequences`, `functions`, `types` or `schemas`.
    pub objects: String,
    /// Privileges of roles other than `role`, sorted. Database-wide, they
    /// replace PostgreSQL's built-in defaults; in a schema, they add to them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub privileges: Vec<Privilege>,
}

impl DefaultGrants {
    /// What holds when no default privileges are set: the built-in
    /// defaults database-wide (`EXECUTE` on functions and `USAGE` on types
    /// for `PUBLIC`), nothing added in a schema.
    pub fn baseline(&self) -> Vec<Privilege> {
        match (self.schema.is_some(), self.objects.as_str()) {
            (false, "functions") => vec![Privilege::new("", "EXECUTE")],
            (false, "types") => vec![Privilege::new("", "USAGE")],
            _ => Vec::new(),
        }
    }
}

/// Privileges on one object and its columns, held by roles other than the
/// object's owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grants {
    /// The object (schema, table, view, sequence, routine or type).
    pub target: Id,
    /// Every privilege on the object itself, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub privileges: Vec<Privilege>,
    /// Column privileges (tables and views): column id and its privileges,
    /// in column order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<(Id, Vec<Privilege>)>,
}

/// One privilege held by one role.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Privilege {
    /// Role name; empty for `PUBLIC`.
    pub grantee: String,
    /// `SELECT`, `INSERT`, ..., `EXECUTE`, `USAGE`, `CREATE`.
    pub privilege: String,
    /// `WITH GRANT OPTION`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub grantable: bool,
}

impl Privilege {
    pub fn new(grantee: &str, privilege: &str) -> Privilege {
        Privilege {
            grantee: grantee.into(),
            privilege: privilege.into(),
            grantable: false,
        }
    }
}

impl Grants {
    /// What PostgreSQL gives a new object of `target`'s kind: `EXECUTE` to
    /// `PUBLIC` on routines, `USAGE` to `PUBLIC` on types, nothing on the
    /// rest (only the owner holds privileges).
    /// The `public` schema of a new database is the exception among
    /// schemas: `USAGE` for `PUBLIC` (PostgreSQL 15's default; 13 and 14
    /// also give `CREATE`, which then shows as a grant).
    pub fn default_for(target: &Object) -> Vec<Privilege> {
        match target {
            Object::Schema { name, .. } if name == "public" => vec![Privilege::new("", "USAGE")],
            Object::Function { .. } => vec![Privilege::new("", "EXECUTE")],
            Object::Enum { .. }
            | Object::Composite { .. }
            | Object::Domain { .. }
            | Object::Range { .. } => vec![Privilege::new("", "USAGE")],
            _ => Vec::new(),
        }
    }
}

/// A publication: what it publishes and from which tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    pub name: String,
    /// `FOR ALL TABLES`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_tables: bool,
    /// The operations published, of `insert`, `update`, `delete` and
    /// `truncate`, in that order.
    pub publish: Vec<String>,
    /// `publish_via_partition_root`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub via_root: bool,
    /// `publish_generated_columns = stored` (PostgreSQL 18).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub generated_columns: bool,
    /// Tables published, each with its row filter and column list
    /// (PostgreSQL 15), in table order of the catalog.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<PublishedTable>,
    /// Schemas whose tables are all published (`TABLES IN SCHEMA`, 15):
    /// schema ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schemas: Vec<Id>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// A table of a publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedTable {
    pub table: Id,
    /// `WHERE (...)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// Column names published; empty for all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
}

/// The rows of a reference-data table, in text form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rows {
    pub table: Id,
    /// Tracked columns (ids), in table order. Generated columns and a
    /// surrogate key (an identity or `serial` column outside `key`) are not
    /// tracked: the database assigns them.
    pub columns: Vec<Id>,
    /// The key columns (ids, a subset of `columns`, all NOT NULL): rows
    /// are matched by them across trees.
    pub key: Vec<Id>,
    /// Values of `columns` as PostgreSQL prints them (`None` is NULL),
    /// sorted by key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<Vec<Option<String>>>,
}

impl Rows {
    /// Positions of the key columns in `columns`.
    pub fn key_positions(&self) -> Vec<usize> {
        self.key
            .iter()
            .filter_map(|k| self.columns.iter().position(|c| c == k))
            .collect()
    }

    /// Rows by key.
    pub fn by_key(&self) -> std::collections::BTreeMap<Vec<Option<String>>, &Vec<Option<String>>> {
        let pos = self.key_positions();
        self.rows
            .iter()
            .map(|r| {
                (
                    pos.iter().map(|p| r.get(*p).cloned().flatten()).collect(),
                    r,
                )
            })
            .collect()
    }

    /// Sort rows by key (then whole row), the stored order.
    pub fn sort(&mut self) {
        let pos = self.key_positions();
        self.rows.sort_by(|a, b| {
            let ka: Vec<&Option<String>> = pos.iter().filter_map(|p| a.get(*p)).collect();
            let kb: Vec<&Option<String>> = pos.iter().filter_map(|p| b.get(*p)).collect();
            ka.cmp(&kb).then_with(|| a.cmp(b))
        });
    }
}

/// A table, a partitioned table or a partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    pub schema: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<Column>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unlogged: bool,
    /// `pg_get_partkeydef`, e.g. `RANGE (created_at)`, for partitioned tables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_key: Option<String>,
    /// Parent and bound (`FOR VALUES ...` or `DEFAULT`) for partitions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition_of: Option<(Id, String)>,
    /// Parents of a table that inherits (`INHERITS`), in declaration order;
    /// partitions record their parent in `partition_of` instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inherits: Vec<Id>,
    /// A foreign table's server and options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub foreign: Option<Foreign>,
    /// The composite type of a typed table (`CREATE TABLE ... OF type`):
    /// its columns are the type's attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of_type: Option<Id>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub row_security: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force_row_security: bool,
    /// `REPLICA IDENTITY` when not the default: `full`, `nothing` or
    /// `index:NAME` (`USING INDEX`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_identity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// What makes a table foreign (`CREATE FOREIGN TABLE ... SERVER`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Foreign {
    /// The server's id.
    pub server: Id,
    /// `key=value`, as the catalog keeps them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// A table column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    pub id: Id,
    pub name: String,
    pub data_type: String,
    /// Only inherited from a parent table, not defined by the table itself
    /// (`attislocal` false): `CREATE TABLE ... INHERITS` does not list it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inherited: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_null: bool,
    /// Name of the NOT NULL constraint (PostgreSQL 18 keeps them in
    /// `pg_constraint`; earlier versions have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_null_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// `always` or `by default`, with the identity sequence's qualified name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<Identity>,
    /// Expression of a stored generated column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// A foreign table column's options (`key=value`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// Planner and storage settings (`SET STATISTICS`, `SET STORAGE`,
    /// `SET (n_distinct = ...)`, `SET COMPRESSION`).
    #[serde(default, skip_serializing_if = "ColumnSettings::is_default")]
    pub settings: ColumnSettings,
}

/// A column's planner and storage settings, each only when set: what
/// `pg_dump` writes as `ALTER TABLE ONLY ... ALTER COLUMN ...`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnSettings {
    /// `SET STATISTICS n` (none: the server's default target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statistics: Option<i32>,
    /// `SET STORAGE`, when it is not the type's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Storage>,
    /// Attribute options (`n_distinct=-1`), as the catalog keeps them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// `SET COMPRESSION` method (PostgreSQL 14+; none: the server's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<String>,
}

impl ColumnSettings {
    pub fn is_default(&self) -> bool {
        *self == ColumnSettings::default()
    }
}

/// A column's storage mode (`plain`, `main`, `external`, `extended`) and
/// its type's, which `SET STORAGE` goes back to (`SET STORAGE DEFAULT`
/// exists only from PostgreSQL 16).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Storage {
    pub mode: String,
    pub type_default: String,
}

/// Identity column settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub always: bool,
    pub sequence: String,
    /// The identity sequence's options, when any differs from the default
    /// for the column's type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<SequenceOptions>,
    /// Privileges on the identity sequence held by roles other than its
    /// owner, sorted (a new identity sequence has none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub privileges: Vec<Privilege>,
}

/// Options of a sequence (`START WITH 100 INCREMENT BY 5 ...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceOptions {
    pub increment: i64,
    pub min: i64,
    pub max: i64,
    pub start: i64,
    pub cache: i64,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cycle: bool,
}

impl SequenceOptions {
    /// What `CREATE SEQUENCE` gives a sequence of `data_type` when no
    /// option is named.
    pub fn defaults(data_type: &str) -> SequenceOptions {
        let max = match data_type {
            "smallint" => i64::from(i16::MAX),
            "integer" => i64::from(i32::MAX),
            _ => i64::MAX,
        };
        SequenceOptions {
            increment: 1,
            min: 1,
            max,
            start: 1,
            cache: 1,
            cycle: false,
        }
    }

    /// `Some(self)` unless these are the defaults for `data_type`.
    pub fn unless_default(self, data_type: &str) -> Option<SequenceOptions> {
        (self != SequenceOptions::defaults(data_type)).then_some(self)
    }

    /// The option list, e.g. `INCREMENT BY 5 MINVALUE 1 ... NO CYCLE`, each
    /// option prefixed with `prefix` (`SET ` for `ALTER COLUMN`).
    pub fn render(&self, prefix: &str) -> String {
        format!(
            "{prefix}INCREMENT BY {} {prefix}MINVALUE {} {prefix}MAXVALUE {} {prefix}START WITH {} {prefix}CACHE {} {prefix}{}",
            self.increment,
            self.min,
            self.max,
            self.start,
            self.cache,
            if self.cycle { "CYCLE" } else { "NO CYCLE" }
        )
    }
}

/// A named attribute of a composite type or a view column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collation: Option<String>,
    /// `COMMENT ON COLUMN` of a view's column or a composite's attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Table {
    /// A plain table: no partitioning, options, row security or comment.
    pub fn new(schema: &str, name: &str, columns: Vec<Column>) -> Table {
        Table {
            schema: schema.into(),
            name: name.into(),
            columns,
            unlogged: false,
            partition_key: None,
            partition_of: None,
            inherits: vec![],
            foreign: None,
            of_type: None,
            options: vec![],
            row_security: false,
            force_row_security: false,
            replica_identity: None,
            comment: None,
        }
    }
}

impl Column {
    /// A nullable column without default, identity or comment.
    pub fn new(id: &str, name: &str, data_type: &str) -> Column {
        Column {
            id: id.into(),
            name: name.into(),
            data_type: data_type.into(),
            inherited: false,
            collation: None,
            not_null: false,
            not_null_name: None,
            default: None,
            identity: None,
            generated: None,
            comment: None,
            options: vec![],
            settings: ColumnSettings::default(),
        }
    }
}

impl Attribute {
    /// The attribute without its comment: what its shape is.
    pub fn shape(&self) -> (&str, &str, Option<&str>) {
        (&self.name, &self.data_type, self.collation.as_deref())
    }
}

/// A named definition (domain check constraint).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedDef {
    pub name: String,
    pub definition: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// An operator or support function of an operator class or family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpMember {
    /// `OPERATOR` or `FUNCTION`.
    pub kind: String,
    /// Strategy or support number.
    pub number: i16,
    /// The operand types it serves (`amoplefttype`, `amoprighttype`).
    pub types: (String, String),
    /// The operator as `regoperator` prints it (`public.<<<(integer,integer)`)
    /// or the function as `regprocedure` does.
    pub target: String,
    /// `FOR ORDER BY` this family (qualified) for an ordering operator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_by: Option<String>,
}

impl OpMember {
    /// The member as `CREATE OPERATOR CLASS` and `ALTER OPERATOR FAMILY ...
    /// ADD` write it.
    pub fn render(&self) -> String {
        let (l, r) = &self.types;
        match (self.kind.as_str(), &self.order_by) {
            ("OPERATOR", Some(f)) => {
                format!("OPERATOR {} {} FOR ORDER BY {f}", self.number, self.target)
            }
            ("OPERATOR", None) => format!("OPERATOR {} {}", self.number, self.target),
            _ => format!("FUNCTION {} ({l}, {r}) {}", self.number, self.target),
        }
    }

    /// The member as `ALTER OPERATOR FAMILY ... DROP` names it.
    pub fn drop_clause(&self) -> String {
        let (l, r) = &self.types;
        format!("{} {} ({l}, {r})", self.kind, self.number)
    }
}

/// The kind of an object, as shown to users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Schema,
    Extension,
    Collation,
    TextSearch,
    Type,
    Sequence,
    Function,
    Cast,
    Table,
    Constraint,
    Index,
    View,
    Trigger,
    Policy,
    Statistics,
    Publication,
    Data,
    Privileges,
    Owner,
    EventTrigger,
    ForeignData,
    Operator,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Schema => "schema",
            Kind::Extension => "extension",
            Kind::Collation => "collation",
            Kind::TextSearch => "text search",
            Kind::Type => "type",
            Kind::Sequence => "sequence",
            Kind::Function => "function",
            Kind::Cast => "cast",
            Kind::Table => "table",
            Kind::Constraint => "constraint",
            Kind::Index => "index",
            Kind::View => "view",
            Kind::Trigger => "trigger",
            Kind::Policy => "policy",
            Kind::Statistics => "statistics",
            Kind::Publication => "publication",
            Kind::Data => "data",
            Kind::Privileges => "privileges",
            Kind::Owner => "owner",
            Kind::EventTrigger => "event trigger",
            Kind::ForeignData => "foreign data",
            Kind::Operator => "operator",
        }
    }
}

impl Object {
    /// The object's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Object::Schema { .. } => Kind::Schema,
            Object::Extension { .. } => Kind::Extension,
            Object::Collation { .. } => Kind::Collation,
            Object::TextSearchDictionary { .. } | Object::TextSearchConfiguration { .. } => {
                Kind::TextSearch
            }
            Object::Enum { .. }
            | Object::Composite { .. }
            | Object::Domain { .. }
            | Object::Range { .. } => Kind::Type,
            Object::Sequence { .. } => Kind::Sequence,
            Object::Table(_) => Kind::Table,
            Object::Constraint { .. } => Kind::Constraint,
            Object::Index { .. } => Kind::Index,
            Object::View { .. } => Kind::View,
            Object::Function { .. } => Kind::Function,
            Object::Trigger { .. } => Kind::Trigger,
            Object::Policy { .. } => Kind::Policy,
            Object::Statistics { .. } => Kind::Statistics,
            Object::Publication(_) => Kind::Publication,
            Object::Rows(_) => Kind::Data,
            Object::Grants(_) | Object::DefaultGrants(_) => Kind::Privileges,
            Object::Owner(_) => Kind::Owner,
            Object::EventTrigger { .. } => Kind::EventTrigger,
            Object::ForeignDataWrapper { .. } | Object::ForeignServer { .. } => Kind::ForeignData,
            Object::Operator { .. }
            | Object::OperatorFamily { .. }
            | Object::OperatorClass { .. } => Kind::Operator,
            Object::Cast { .. } => Kind::Cast,
        }
    }

    /// A finer kind name for display (`enum`, `materialized view`, ...).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Object::Enum { .. } => "enum",
            Object::Composite { .. } => "composite type",
            Object::Domain { .. } => "domain",
            Object::Range { .. } => "range type",
            Object::View {
                materialized: true, ..
            } => "materialized view",
            Object::Function { routine, .. } if routine == "procedure" => "procedure",
            Object::Function { routine, .. } if routine == "aggregate" => "aggregate",
            Object::Table(t) if t.partition_key.is_some() => "partitioned table",
            Object::Table(t) if t.foreign.is_some() => "foreign table",
            Object::ForeignDataWrapper { .. } => "foreign data wrapper",
            Object::ForeignServer { .. } => "server",
            Object::Table(t) if t.partition_of.is_some() => "partition",
            Object::Rows(_) => "reference data",
            Object::Grants(_) => "privileges",
            Object::DefaultGrants(_) => "default privileges",
            Object::OperatorFamily { .. } => "operator family",
            Object::OperatorClass { .. } => "operator class",
            Object::TextSearchDictionary { .. } => "text search dictionary",
            Object::TextSearchConfiguration { .. } => "text search configuration",
            other => other.kind().as_str(),
        }
    }

    /// Schema the object lives in, for schema-qualified objects.
    pub fn schema(&self) -> Option<&str> {
        match self {
            Object::Enum { schema, .. }
            | Object::Composite { schema, .. }
            | Object::Domain { schema, .. }
            | Object::Range { schema, .. }
            | Object::Sequence { schema, .. }
            | Object::View { schema, .. }
            | Object::Function { schema, .. }
            | Object::Collation { schema, .. }
            | Object::Operator { schema, .. }
            | Object::OperatorFamily { schema, .. }
            | Object::OperatorClass { schema, .. }
            | Object::TextSearchDictionary { schema, .. }
            | Object::TextSearchConfiguration { schema, .. }
            | Object::Statistics { schema, .. } => Some(schema),
            Object::Table(t) => Some(&t.schema),
            _ => None,
        }
    }

    /// The object's own (unqualified) name.
    pub fn name(&self) -> &str {
        match self {
            Object::Schema { name, .. }
            | Object::Extension { name, .. }
            | Object::Enum { name, .. }
            | Object::Composite { name, .. }
            | Object::Domain { name, .. }
            | Object::Range { name, .. }
            | Object::Sequence { name, .. }
            | Object::Constraint { name, .. }
            | Object::Index { name, .. }
            | Object::View { name, .. }
            | Object::Function { name, .. }
            | Object::Trigger { name, .. }
            | Object::Policy { name, .. }
            | Object::Collation { name, .. }
            | Object::EventTrigger { name, .. }
            | Object::ForeignDataWrapper { name, .. }
            | Object::ForeignServer { name, .. }
            | Object::Operator { name, .. }
            | Object::OperatorFamily { name, .. }
            | Object::OperatorClass { name, .. }
            | Object::TextSearchDictionary { name, .. }
            | Object::TextSearchConfiguration { name, .. }
            | Object::Statistics { name, .. } => name,
            Object::Table(t) => &t.name,
            Object::Rows(_) => "rows",
            Object::Publication(p) => &p.name,
            Object::Grants(_) => "grants",
            Object::DefaultGrants(d) => &d.objects,
            Object::Owner(_) => "owner",
            Object::Cast { .. } => "cast",
        }
    }

    /// The table an object hangs off (constraints, indexes, triggers, policies).
    pub fn parent_table(&self) -> Option<&Id> {
        match self {
            Object::Constraint { table, .. }
            | Object::Index { table, .. }
            | Object::Trigger { table, .. }
            | Object::Policy { table, .. }
            | Object::Statistics { table, .. } => Some(table),
            Object::Rows(r) => Some(&r.table),
            _ => None,
        }
    }

    /// The comment attached to the object.
    pub fn comment(&self) -> Option<&str> {
        match self {
            Object::Extension { .. }
            | Object::Rows(_)
            | Object::Grants(_)
            | Object::DefaultGrants(_)
            | Object::Owner(_) => None,
            Object::Schema { comment, .. }
            | Object::Enum { comment, .. }
            | Object::Composite { comment, .. }
            | Object::Domain { comment, .. }
            | Object::Range { comment, .. }
            | Object::Sequence { comment, .. }
            | Object::Constraint { comment, .. }
            | Object::Index { comment, .. }
            | Object::View { comment, .. }
            | Object::Function { comment, .. }
            | Object::Trigger { comment, .. }
            | Object::Policy { comment, .. }
            | Object::Collation { comment, .. }
            | Object::EventTrigger { comment, .. }
            | Object::ForeignDataWrapper { comment, .. }
            | Object::ForeignServer { comment, .. }
            | Object::Operator { comment, .. }
            | Object::OperatorFamily { comment, .. }
            | Object::OperatorClass { comment, .. }
            | Object::Cast { comment, .. }
            | Object::TextSearchDictionary { comment, .. }
            | Object::TextSearchConfiguration { comment, .. }
            | Object::Statistics { comment, .. } => comment.as_deref(),
            Object::Table(t) => t.comment.as_deref(),
            Object::Publication(p) => p.comment.as_deref(),
        }
    }

    /// Every identity this object refers to: the ids [`Object::remap_ids`]
    /// rewrites (its own column ids included), read without copying.
    pub fn referenced_ids(&self) -> Vec<&Id> {
        let mut out = Vec::new();
        match self {
            Object::Constraint { table, .. }
            | Object::Index { table, .. }
            | Object::Trigger { table, .. }
            | Object::Policy { table, .. }
            | Object::Statistics { table, .. } => out.push(table),
            Object::Owner(o) => out.push(&o.target),
            Object::OperatorClass { family, .. } => out.push(family),
            Object::Grants(g) => {
                out.push(&g.target);
                out.extend(g.columns.iter().map(|(c, _)| c));
            }
            Object::Publication(p) => {
                out.extend(p.tables.iter().map(|t| &t.table));
                out.extend(p.schemas.iter());
            }
            Object::Rows(r) => {
                out.push(&r.table);
                out.extend(r.columns.iter().chain(r.key.iter()));
            }
            Object::Sequence {
                owned_by: Some((table, column)),
                ..
            } => {
                out.push(table);
                out.push(column);
            }
            Object::Table(t) => {
                out.extend(t.partition_of.iter().map(|(p, _)| p));
                out.extend(t.inherits.iter());
                out.extend(t.of_type.iter());
                out.extend(t.foreign.iter().map(|f| &f.server));
                out.extend(t.columns.iter().map(|c| &c.id));
            }
            _ => {}
        }
        out
    }

    /// Rewrites every identity this object refers to (its parent table,
    /// owning column, parent partition, column ids).
    pub fn remap_ids(&mut self, f: &mut dyn FnMut(&str) -> Id) {
        match self {
            Object::Constraint { table, .. }
            | Object::Index { table, .. }
            | Object::Trigger { table, .. }
            | Object::Policy { table, .. }
            | Object::Statistics { table, .. } => *table = f(table),
            Object::Owner(o) => o.target = f(&o.target),
            Object::OperatorClass { family, .. } => *family = f(family),
            Object::Grants(g) => {
                g.target = f(&g.target);
                for (c, _) in &mut g.columns {
                    *c = f(c);
                }
            }
            Object::Publication(p) => {
                for t in &mut p.tables {
                    t.table = f(&t.table);
                }
                for s in &mut p.schemas {
                    *s = f(s);
                }
                // Membership has no order: kept sorted by id.
                p.tables.sort_by(|a, b| a.table.cmp(&b.table));
                p.schemas.sort();
            }
            Object::Rows(r) => {
                r.table = f(&r.table);
                for c in r.columns.iter_mut().chain(r.key.iter_mut()) {
                    *c = f(c);
                }
            }
            Object::Sequence {
                owned_by: Some((table, column)),
                ..
            } => {
                *table = f(table);
                *column = f(column);
            }
            Object::Table(t) => {
                if let Some((parent, _)) = &mut t.partition_of {
                    *parent = f(parent);
                }
                for parent in &mut t.inherits {
                    *parent = f(parent);
                }
                if let Some(ty) = &mut t.of_type {
                    *ty = f(ty);
                }
                if let Some(fo) = &mut t.foreign {
                    fo.server = f(&fo.server);
                }
                for c in &mut t.columns {
                    c.id = f(&c.id);
                }
            }
            _ => {}
        }
    }
}
