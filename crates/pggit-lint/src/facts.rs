//! What one statement does to a running database, from its parse tree
//! alone: the lock it takes on each relation, whether it rewrites or scans
//! a table (and why), whether running clients can break, whether it may
//! run inside a transaction block, whether running it twice is safe.
//! Lock levels follow PostgreSQL's documentation ("Explicit Locking" and
//! the notes of `ALTER TABLE`); see `docs/LINT.md`.

use pg_query::protobuf::{
    self, node::Node as N, AlterTableType, ConstrType, ObjectType, TransactionStmtKind,
};
use serde::Serialize;

/// PostgreSQL's table lock modes, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LockLevel {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

impl LockLevel {
    /// The name PostgreSQL uses (`ACCESS EXCLUSIVE`).
    pub fn name(self) -> &'static str {
        match self {
            LockLevel::AccessShare => "ACCESS SHARE",
            LockLevel::RowShare => "ROW SHARE",
            LockLevel::RowExclusive => "ROW EXCLUSIVE",
            LockLevel::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockLevel::Share => "SHARE",
            LockLevel::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockLevel::Exclusive => "EXCLUSIVE",
            LockLevel::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// Whether it stops plain reads (`SELECT`).
    pub fn blocks_reads(self) -> bool {
        self == LockLevel::AccessExclusive
    }

    /// Whether it stops writes (`INSERT`, `UPDATE`, `DELETE`).
    pub fn blocks_writes(self) -> bool {
        self >= LockLevel::Share
    }
}

/// What a statement is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Create,
    Alter,
    Drop,
    Rename,
    DataChange,
    Read,
    Transaction,
    Setting,
    Other,
}

/// A lock on a relation, as the statement names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lock {
    pub relation: String,
    pub level: LockLevel,
}

/// A table the statement rewrites or scans, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableWork {
    pub relation: String,
    pub kind: WorkKind,
    pub reason: String,
}

/// What the work on the table is (how long it takes grows differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkKind {
    /// A new copy of the table and its indexes.
    Rewrite,
    /// An index built from every row.
    IndexBuild,
    /// Every row checked against the referenced table.
    ForeignKeyCheck,
    /// Every row read and checked (CHECK, NOT NULL, a partition bound).
    RowCheck,
}

/// The facts of one statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Facts {
    pub intent: Intent,
    pub locks: Vec<Lock>,
    pub rewrites: Vec<TableWork>,
    pub scans: Vec<TableWork>,
    /// How it can break clients that run now (a dropped or renamed column
    /// they read, a new NOT NULL column they do not write).
    pub breaks: Vec<String>,
    /// `false`: cannot run inside a transaction block.
    pub transactional: bool,
    /// Running it a second time is harmless (`IF NOT EXISTS`, `OR REPLACE`, ...).
    pub idempotent: bool,
}

impl Facts {
    fn new(intent: Intent) -> Facts {
        Facts {
            intent,
            locks: Vec::new(),
            rewrites: Vec::new(),
            scans: Vec::new(),
            breaks: Vec::new(),
            transactional: true,
            idempotent: false,
        }
    }

    fn lock(&mut self, relation: String, level: LockLevel) {
        match self.locks.iter_mut().find(|l| l.relation == relation) {
            Some(l) => l.level = l.level.max(level),
            None => self.locks.push(Lock { relation, level }),
        }
    }

    /// The strongest lock it takes, if any.
    pub fn strongest(&self) -> Option<&Lock> {
        self.locks.iter().max_by_key(|l| l.level)
    }
}

fn set_not_null_scan(column: &str) -> String {
    format!("SET NOT NULL on {column} reads every row unless a valid CHECK ({column} IS NOT NULL) exists")
}

fn set_not_null_break(column: &str) -> String {
    format!("column {column} becomes NOT NULL: clients that write NULL fail")
}

/// SET NOT NULL of `rel.column` when a valid `CHECK (column IS NOT NULL)`
/// proves it (known from earlier statements): no scan, and nothing new
/// breaks (the check already refuses NULL).
pub fn set_not_null_proven(f: &mut Facts, rel: &str, column: &str) {
    let scan = set_not_null_scan(column);
    let brk = set_not_null_break(column);
    f.scans.retain(|w| !(w.relation == rel && w.reason == scan));
    f.breaks.retain(|b| *b != brk);
}

/// How a statement that names only an index names that index's table
/// (which only the catalog knows).
pub const INDEX_TABLE: &str = "the table of index ";

fn index_table(index: &str) -> String {
    format!("{INDEX_TABLE}{index}")
}

/// `schema.name` as written (unqualified stays unqualified).
pub fn range_name(r: &protobuf::RangeVar) -> String {
    if r.schemaname.is_empty() {
        r.relname.clone()
    } else {
        format!("{}.{}", r.schemaname, r.relname)
    }
}

/// The dotted name of a list of `String` nodes (`DROP TABLE a.b`).
pub fn list_name(items: &[protobuf::Node]) -> String {
    items
        .iter()
        .filter_map(|n| match &n.node {
            Some(N::String(s)) => Some(s.sval.clone()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// The facts of a statement, for a server of major version `version`.
pub fn facts(node: &N, version: u32) -> Facts {
    match node {
        N::CreateStmt(s) => {
            let mut f = Facts::new(Intent::Create);
            f.idempotent = s.if_not_exists;
            for c in column_defs(&s.table_elts)
                .flat_map(|c| constraints_of(&c.constraints))
                .chain(constraints_of(&s.table_elts))
            {
                if c.contype() == ConstrType::ConstrForeign {
                    if let Some(p) = &c.pktable {
                        f.lock(range_name(p), LockLevel::ShareRowExclusive);
                    }
                }
            }
            f
        }
        N::IndexStmt(s) => {
            let mut f = Facts::new(Intent::Create);
            let rel = s.relation.as_ref().map(range_name).unwrap_or_default();
            if s.concurrent {
                f.lock(rel, LockLevel::ShareUpdateExclusive);
                f.transactional = false;
            } else {
                f.lock(rel.clone(), LockLevel::Share);
                f.scans.push(TableWork {
                    kind: WorkKind::IndexBuild,
                    relation: rel,
                    reason: "builds the index, blocking writes".into(),
                });
            }
            f.idempotent = s.if_not_exists;
            f
        }
        N::DropStmt(s) => drop_facts(s),
        N::AlterTableStmt(s) => alter_table_facts(s),
        N::RenameStmt(s) => {
            let mut f = Facts::new(Intent::Rename);
            let what = match s.rename_type() {
                ObjectType::ObjectColumn => "a column",
                ObjectType::ObjectTable => "a table",
                ObjectType::ObjectView | ObjectType::ObjectMatview => "a view",
                ObjectType::ObjectTabconstraint => "a constraint",
                ObjectType::ObjectIndex => "an index",
                ObjectType::ObjectSchema => "a schema",
                ObjectType::ObjectType | ObjectType::ObjectDomain => "a type",
                ObjectType::ObjectFunction | ObjectType::ObjectProcedure => "a function",
                _ => "an object",
            };
            if let Some(r) = &s.relation {
                // Renaming an index takes SHARE UPDATE EXCLUSIVE (12+).
                let level = if s.rename_type() == ObjectType::ObjectIndex && version >= 12 {
                    LockLevel::ShareUpdateExclusive
                } else {
                    LockLevel::AccessExclusive
                };
                f.lock(range_name(r), level);
            }
            if !matches!(
                s.rename_type(),
                ObjectType::ObjectIndex | ObjectType::ObjectTabconstraint
            ) {
                f.breaks.push(format!(
                    "renames {what}: clients that use the old name fail"
                ));
            }
            f
        }
        N::TruncateStmt(s) => {
            let mut f = Facts::new(Intent::DataChange);
            for r in range_vars(&s.relations) {
                f.lock(range_name(r), LockLevel::AccessExclusive);
            }
            f.breaks.push("deletes every row".into());
            f
        }
        N::CreateTrigStmt(s) => {
            let mut f = Facts::new(Intent::Create);
            if let Some(r) = &s.relation {
                f.lock(range_name(r), LockLevel::ShareRowExclusive);
            }
            f.idempotent = s.replace;
            f
        }
        N::CommentStmt(_) => {
            let mut f = Facts::new(Intent::Alter);
            f.idempotent = true;
            f
        }
        N::ReindexStmt(s) => {
            let mut f = Facts::new(Intent::Alter);
            let concurrent = s.params.iter().any(|p| def_name(p) == Some("concurrently"));
            let rel = s
                .relation
                .as_ref()
                .map(range_name)
                .unwrap_or_else(|| s.name.clone());
            let index = s.kind() == protobuf::ReindexObjectType::ReindexObjectIndex;
            let one = index || s.kind() == protobuf::ReindexObjectType::ReindexObjectTable;
            if !one {
                // SCHEMA, DATABASE, SYSTEM: every table in them, one
                // transaction each, so not inside a transaction block.
                f.transactional = false;
                f.idempotent = true;
                return f;
            }
            if concurrent {
                f.lock(rel.clone(), LockLevel::ShareUpdateExclusive);
                if index {
                    f.lock(index_table(&rel), LockLevel::ShareUpdateExclusive);
                }
                f.transactional = false;
            } else if index {
                // The index is rebuilt under ACCESS EXCLUSIVE; its table
                // takes SHARE (writes wait, reads not through this index go on).
                f.lock(rel.clone(), LockLevel::AccessExclusive);
                f.lock(index_table(&rel), LockLevel::Share);
            } else {
                f.lock(rel, LockLevel::Share);
            }
            f.idempotent = true;
            f
        }
        N::VacuumStmt(s) => {
            let mut f = Facts::new(Intent::Other);
            let full = s.options.iter().any(|p| def_name(p) == Some("full"));
            for r in &s.rels {
                if let Some(N::VacuumRelation(v)) = &r.node {
                    if let Some(rv) = &v.relation {
                        let level = if full {
                            LockLevel::AccessExclusive
                        } else {
                            LockLevel::ShareUpdateExclusive
                        };
                        f.lock(range_name(rv), level);
                        if full {
                            f.rewrites.push(TableWork {
                                kind: WorkKind::Rewrite,
                                relation: range_name(rv),
                                reason: "VACUUM FULL writes a new copy of the table".into(),
                            });
                        }
                    }
                }
            }
            f.transactional = !s.is_vacuumcmd;
            f.idempotent = true;
            f
        }
        N::ClusterStmt(s) => {
            let mut f = Facts::new(Intent::Other);
            if let Some(r) = &s.relation {
                f.lock(range_name(r), LockLevel::AccessExclusive);
                f.rewrites.push(TableWork {
                    kind: WorkKind::Rewrite,
                    relation: range_name(r),
                    reason: "CLUSTER writes a new copy of the table".into(),
                });
            }
            f.idempotent = true;
            f
        }
        N::RefreshMatViewStmt(s) => {
            let mut f = Facts::new(Intent::Other);
            if let Some(r) = &s.relation {
                let level = if s.concurrent {
                    LockLevel::Exclusive
                } else {
                    LockLevel::AccessExclusive
                };
                f.lock(range_name(r), level);
            }
            f.idempotent = true;
            f
        }
        N::CreateStatsStmt(s) => {
            let mut f = Facts::new(Intent::Create);
            for r in range_vars(&s.relations) {
                f.lock(range_name(r), LockLevel::ShareUpdateExclusive);
            }
            f.idempotent = s.if_not_exists;
            f
        }
        N::LockStmt(s) => {
            let mut f = Facts::new(Intent::Other);
            let level = match s.mode {
                1 => LockLevel::AccessShare,
                2 => LockLevel::RowShare,
                3 => LockLevel::RowExclusive,
                4 => LockLevel::ShareUpdateExclusive,
                5 => LockLevel::Share,
                6 => LockLevel::ShareRowExclusive,
                7 => LockLevel::Exclusive,
                _ => LockLevel::AccessExclusive,
            };
            for r in range_vars(&s.relations) {
                f.lock(range_name(r), level);
            }
            f.idempotent = true;
            f
        }
        N::UpdateStmt(s) => {
            let mut f = Facts::new(Intent::DataChange);
            if let Some(r) = &s.relation {
                f.lock(range_name(r), LockLevel::RowExclusive);
            }
            f
        }
        N::DeleteStmt(s) => {
            let mut f = Facts::new(Intent::DataChange);
            if let Some(r) = &s.relation {
                f.lock(range_name(r), LockLevel::RowExclusive);
            }
            f
        }
        N::InsertStmt(s) => {
            let mut f = Facts::new(Intent::DataChange);
            if let Some(r) = &s.relation {
                f.lock(range_name(r), LockLevel::RowExclusive);
            }
            f
        }
        N::SelectStmt(_) => {
            let mut f = Facts::new(Intent::Read);
            f.idempotent = true;
            f
        }
        N::TransactionStmt(_) => Facts::new(Intent::Transaction),
        N::VariableSetStmt(_) => {
            let mut f = Facts::new(Intent::Setting);
            f.idempotent = true;
            f
        }
        N::CreatedbStmt(_)
        | N::DropdbStmt(_)
        | N::AlterSystemStmt(_)
        | N::CreateTableSpaceStmt(_)
        | N::DropTableSpaceStmt(_) => {
            let mut f = Facts::new(Intent::Other);
            f.transactional = false;
            if let N::DropdbStmt(d) = node {
                f.intent = Intent::Drop;
                f.idempotent = d.missing_ok;
                f.breaks.push("drops a database".into());
            }
            f
        }
        N::AlterEnumStmt(s) => {
            let mut f = Facts::new(Intent::Alter);
            // ADD VALUE cannot run in a transaction block before 12.
            let adding = s.old_val.is_empty();
            f.transactional = !adding || version >= 12;
            f.idempotent = s.skip_if_new_val_exists;
            f
        }
        N::CreateFunctionStmt(s) => {
            let mut f = Facts::new(Intent::Create);
            f.idempotent = s.replace;
            f
        }
        N::ViewStmt(s) => {
            let mut f = Facts::new(Intent::Create);
            f.idempotent = s.replace;
            f
        }
        N::CreateSchemaStmt(s) => {
            let mut f = Facts::new(Intent::Create);
            f.idempotent = s.if_not_exists;
            f
        }
        N::CreateSeqStmt(s) => {
            let mut f = Facts::new(Intent::Create);
            f.idempotent = s.if_not_exists;
            f
        }
        N::CreateExtensionStmt(s) => {
            let mut f = Facts::new(Intent::Create);
            f.idempotent = s.if_not_exists;
            f
        }
        N::CreateTableAsStmt(s) => {
            let mut f = Facts::new(Intent::Create);
            f.idempotent = s.if_not_exists;
            f
        }
        N::CompositeTypeStmt(_)
        | N::CreateEnumStmt(_)
        | N::CreateDomainStmt(_)
        | N::CreateRangeStmt(_)
        | N::DefineStmt(_) => Facts::new(Intent::Create),
        // A policy is created or changed under ACCESS EXCLUSIVE on its
        // table (seen in pg_locks).
        N::CreatePolicyStmt(p) => {
            let mut f = Facts::new(Intent::Create);
            if let Some(t) = &p.table {
                f.lock(range_name(t), LockLevel::AccessExclusive);
            }
            f
        }
        N::AlterPolicyStmt(p) => {
            let mut f = Facts::new(Intent::Alter);
            if let Some(t) = &p.table {
                f.lock(range_name(t), LockLevel::AccessExclusive);
            }
            f
        }
        N::GrantStmt(_) | N::GrantRoleStmt(_) | N::AlterDefaultPrivilegesStmt(_) => {
            let mut f = Facts::new(Intent::Alter);
            f.idempotent = true;
            f
        }
        _ => Facts::new(Intent::Other),
    }
}

fn drop_facts(s: &protobuf::DropStmt) -> Facts {
    let mut f = Facts::new(Intent::Drop);
    f.idempotent = s.missing_ok;
    let kind = s.remove_type();
    let names: Vec<String> = s
        .objects
        .iter()
        .filter_map(|o| match &o.node {
            Some(N::List(l)) => Some(list_name(&l.items)),
            Some(N::String(x)) => Some(x.sval.clone()),
            _ => None,
        })
        .collect();
    let relation = matches!(
        kind,
        ObjectType::ObjectTable
            | ObjectType::ObjectIndex
            | ObjectType::ObjectView
            | ObjectType::ObjectMatview
            | ObjectType::ObjectSequence
            | ObjectType::ObjectForeignTable
    );
    for n in &names {
        if relation {
            let level = if kind == ObjectType::ObjectIndex && s.concurrent {
                LockLevel::ShareUpdateExclusive
            } else {
                LockLevel::AccessExclusive
            };
            f.lock(n.clone(), level);
            // Dropping an index locks its table the same way.
            if kind == ObjectType::ObjectIndex {
                f.lock(index_table(n), level);
            }
        }
    }
    if kind == ObjectType::ObjectIndex && s.concurrent {
        f.transactional = false;
    }
    // A trigger, rule or policy is dropped under ACCESS EXCLUSIVE on its
    // table (seen in pg_locks): the name is the table's, then its own.
    if matches!(
        kind,
        ObjectType::ObjectTrigger | ObjectType::ObjectRule | ObjectType::ObjectPolicy
    ) {
        for o in &s.objects {
            if let Some(N::List(l)) = &o.node {
                if l.items.len() >= 2 {
                    let table = list_name(&l.items[..l.items.len() - 1]);
                    f.lock(table, LockLevel::AccessExclusive);
                }
            }
        }
    }
    let what = match kind {
        ObjectType::ObjectTable => Some("a table"),
        ObjectType::ObjectView | ObjectType::ObjectMatview => Some("a view"),
        ObjectType::ObjectSchema => Some("a schema"),
        ObjectType::ObjectFunction | ObjectType::ObjectProcedure => Some("a function"),
        ObjectType::ObjectType | ObjectType::ObjectDomain => Some("a type"),
        ObjectType::ObjectSequence => Some("a sequence"),
        _ => None,
    };
    if let Some(w) = what {
        f.breaks
            .push(format!("drops {w}: clients that use it fail"));
    }
    f
}

fn alter_table_facts(s: &protobuf::AlterTableStmt) -> Facts {
    let mut f = Facts::new(Intent::Alter);
    let rel = s.relation.as_ref().map(range_name).unwrap_or_default();
    let mut idempotent = true;
    for cmd in &s.cmds {
        let Some(N::AlterTableCmd(c)) = &cmd.node else {
            continue;
        };
        let sub = c.subtype();
        let mut level = LockLevel::AccessExclusive;
        match sub {
            AlterTableType::AtAddColumn => {
                idempotent &= c.missing_ok;
                if let Some(N::ColumnDef(col)) = c.def.as_ref().and_then(|d| d.node.as_ref()) {
                    add_column(&mut f, &rel, col);
                }
            }
            AlterTableType::AtDropColumn => {
                idempotent &= c.missing_ok;
                f.breaks.push(format!(
                    "drops column {}: clients that read or write it fail",
                    c.name
                ));
            }
            AlterTableType::AtAlterColumnType => {
                idempotent = false;
                f.rewrites.push(TableWork {
                    kind: WorkKind::Rewrite,
                    relation: rel.clone(),
                    reason: format!(
                        "changes the type of column {} (a rewrite unless the new type is binary-coercible, e.g. a longer varchar)",
                        c.name
                    ),
                });
                f.breaks.push(format!(
                    "changes the type of column {}: clients may read or write values of the old type",
                    c.name
                ));
            }
            AlterTableType::AtSetNotNull => {
                f.scans.push(TableWork {
                    kind: WorkKind::RowCheck,
                    relation: rel.clone(),
                    reason: set_not_null_scan(&c.name),
                });
                f.breaks.push(set_not_null_break(&c.name));
            }
            AlterTableType::AtDropNotNull => {}
            AlterTableType::AtColumnDefault => {}
            AlterTableType::AtAddConstraint => {
                idempotent = false;
                if let Some(N::Constraint(k)) = c.def.as_ref().and_then(|d| d.node.as_ref()) {
                    level = add_constraint(&mut f, &rel, k);
                }
            }
            AlterTableType::AtValidateConstraint => {
                level = LockLevel::ShareUpdateExclusive;
                f.scans.push(TableWork {
                    kind: WorkKind::RowCheck,
                    relation: rel.clone(),
                    reason: format!(
                        "VALIDATE CONSTRAINT {} reads every row (writes go on)",
                        c.name
                    ),
                });
            }
            AlterTableType::AtDropConstraint => {
                idempotent &= c.missing_ok;
            }
            AlterTableType::AtSetStatistics
            | AlterTableType::AtClusterOn
            | AlterTableType::AtDropCluster
            | AlterTableType::AtSetRelOptions
            | AlterTableType::AtResetRelOptions
            | AlterTableType::AtSetOptions
            | AlterTableType::AtResetOptions => {
                // A view's options (security_barrier, check_option) take
                // ACCESS EXCLUSIVE (seen in pg_locks); a table's storage
                // parameters SHARE UPDATE EXCLUSIVE.
                level = if matches!(
                    s.objtype(),
                    ObjectType::ObjectView | ObjectType::ObjectMatview
                ) && matches!(
                    sub,
                    AlterTableType::AtSetRelOptions | AlterTableType::AtResetRelOptions
                ) {
                    LockLevel::AccessExclusive
                } else {
                    LockLevel::ShareUpdateExclusive
                };
            }
            AlterTableType::AtEnableTrig
            | AlterTableType::AtEnableAlwaysTrig
            | AlterTableType::AtEnableReplicaTrig
            | AlterTableType::AtDisableTrig
            | AlterTableType::AtEnableTrigAll
            | AlterTableType::AtDisableTrigAll
            | AlterTableType::AtEnableTrigUser
            | AlterTableType::AtDisableTrigUser => {
                level = LockLevel::ShareRowExclusive;
            }
            AlterTableType::AtSetLogged | AlterTableType::AtSetUnLogged => {
                f.rewrites.push(TableWork {
                    kind: WorkKind::Rewrite,
                    relation: rel.clone(),
                    reason: "SET LOGGED / UNLOGGED writes a new copy of the table".into(),
                });
            }
            AlterTableType::AtSetAccessMethod => {
                f.rewrites.push(TableWork {
                    kind: WorkKind::Rewrite,
                    relation: rel.clone(),
                    reason: "SET ACCESS METHOD writes a new copy of the table".into(),
                });
            }
            AlterTableType::AtSetTableSpace => {
                f.rewrites.push(TableWork {
                    kind: WorkKind::Rewrite,
                    relation: rel.clone(),
                    reason: "SET TABLESPACE copies the table's files".into(),
                });
            }
            AlterTableType::AtAttachPartition => {
                idempotent = false;
                level = LockLevel::ShareUpdateExclusive;
                if let Some(N::PartitionCmd(p)) = c.def.as_ref().and_then(|d| d.node.as_ref()) {
                    if let Some(part) = &p.name {
                        f.lock(range_name(part), LockLevel::AccessExclusive);
                        f.scans.push(TableWork {
                            kind: WorkKind::RowCheck,
                            relation: range_name(part),
                            reason: "ATTACH PARTITION reads the partition to check its bound, unless a valid CHECK implies it".into(),
                        });
                    }
                }
            }
            AlterTableType::AtDetachPartition => {
                idempotent = false;
                if let Some(N::PartitionCmd(p)) = c.def.as_ref().and_then(|d| d.node.as_ref()) {
                    if p.concurrent {
                        level = LockLevel::ShareUpdateExclusive;
                        f.transactional = false;
                    }
                    // CONCURRENTLY takes SHARE UPDATE EXCLUSIVE on the
                    // partition too (seen in pg_locks).
                    if let Some(part) = &p.name {
                        let on_part = if p.concurrent {
                            LockLevel::ShareUpdateExclusive
                        } else {
                            LockLevel::AccessExclusive
                        };
                        f.lock(range_name(part), on_part);
                    }
                }
            }
            AlterTableType::AtAddIdentity => {
                idempotent = false;
            }
            _ => {
                idempotent = false;
            }
        }
        f.lock(rel.clone(), level);
    }
    f.idempotent = idempotent && !s.cmds.is_empty();
    f
}

fn add_column(f: &mut Facts, rel: &str, col: &protobuf::ColumnDef) {
    let name = &col.colname;
    let type_name = col.type_name.as_ref().map(type_name).unwrap_or_default();
    let cons: Vec<&protobuf::Constraint> = constraints_of(&col.constraints).collect();
    let default = cons
        .iter()
        .find(|c| c.contype() == ConstrType::ConstrDefault)
        .and_then(|c| c.raw_expr.as_deref());
    let not_null = col.is_not_null
        || cons
            .iter()
            .any(|c| c.contype() == ConstrType::ConstrNotnull);
    let serial = matches!(
        type_name.as_str(),
        "serial" | "bigserial" | "smallserial" | "serial4" | "serial8" | "serial2"
    );
    if serial {
        f.rewrites.push(TableWork {
            kind: WorkKind::Rewrite,
            relation: rel.to_string(),
            reason: format!(
                "adds {type_name} column {name}: every row gets a value from the sequence"
            ),
        });
    }
    if cons
        .iter()
        .any(|c| c.contype() == ConstrType::ConstrIdentity)
    {
        f.rewrites.push(TableWork {
            kind: WorkKind::Rewrite,
            relation: rel.to_string(),
            reason: format!(
                "adds identity column {name}: every row gets a value from the sequence"
            ),
        });
    }
    if cons
        .iter()
        .any(|c| c.contype() == ConstrType::ConstrGenerated && c.generated_kind != "v")
    {
        f.rewrites.push(TableWork {
            kind: WorkKind::Rewrite,
            relation: rel.to_string(),
            reason: format!("adds stored generated column {name}: computed for every row"),
        });
    }
    if let Some(d) = default {
        if let Volatility::Volatile(why) = volatility(d) {
            f.rewrites.push(TableWork {
                kind: WorkKind::Rewrite,
                relation: rel.to_string(),
                reason: format!(
                    "adds column {name} with a volatile default ({why}): computed for every row"
                ),
            });
        }
    }
    if not_null && default.is_none() && !serial {
        f.breaks.push(format!(
            "adds NOT NULL column {name} without a default: fails on a table with rows, and inserts that do not name it fail"
        ));
    }
    for c in &cons {
        match c.contype() {
            ConstrType::ConstrForeign => {
                if let Some(p) = &c.pktable {
                    f.lock(range_name(p), LockLevel::ShareRowExclusive);
                }
                f.scans.push(TableWork {
                    kind: WorkKind::ForeignKeyCheck,
                    relation: rel.to_string(),
                    reason: format!("adds a foreign key on {name}, checked against every row"),
                });
            }
            ConstrType::ConstrPrimary | ConstrType::ConstrUnique => {
                f.scans.push(TableWork {
                    kind: WorkKind::IndexBuild,
                    relation: rel.to_string(),
                    reason: format!("builds a unique index on {name} under ACCESS EXCLUSIVE"),
                });
            }
            ConstrType::ConstrCheck => {
                f.scans.push(TableWork {
                    kind: WorkKind::RowCheck,
                    relation: rel.to_string(),
                    reason: format!("checks a CHECK on {name} against every row"),
                });
            }
            _ => {}
        }
    }
}

/// The lock `ADD CONSTRAINT` takes on the table, and its scans.
fn add_constraint(f: &mut Facts, rel: &str, k: &protobuf::Constraint) -> LockLevel {
    let name = if k.conname.is_empty() {
        "a constraint".to_string()
    } else {
        format!("constraint {}", k.conname)
    };
    match k.contype() {
        ConstrType::ConstrForeign => {
            if let Some(p) = &k.pktable {
                f.lock(range_name(p), LockLevel::ShareRowExclusive);
            }
            if !k.skip_validation {
                f.scans.push(TableWork {
                    kind: WorkKind::ForeignKeyCheck,
                    relation: rel.to_string(),
                    reason: format!("adds foreign key {name} without NOT VALID: every row is checked while writes wait"),
                });
            }
            LockLevel::ShareRowExclusive
        }
        ConstrType::ConstrCheck => {
            if !k.skip_validation {
                f.scans.push(TableWork {
                    kind: WorkKind::RowCheck,
                    relation: rel.to_string(),
                    reason: format!("adds CHECK {name} without NOT VALID: every row is checked under ACCESS EXCLUSIVE"),
                });
            }
            LockLevel::AccessExclusive
        }
        ConstrType::ConstrPrimary | ConstrType::ConstrUnique | ConstrType::ConstrExclusion => {
            if k.indexname.is_empty() {
                f.scans.push(TableWork {
                    kind: WorkKind::IndexBuild,
                    relation: rel.to_string(),
                    reason: format!("adds {name} by building its index under ACCESS EXCLUSIVE"),
                });
            }
            LockLevel::AccessExclusive
        }
        _ => LockLevel::AccessExclusive,
    }
}

/// Whether a default expression is computed once (stored in the catalog,
/// no rewrite since PostgreSQL 11) or for every row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Volatility {
    Constant,
    Volatile(String),
}

/// Functions known not to be volatile (stable or immutable): a default
/// calling only these is evaluated once when the column is added.
const NOT_VOLATILE: &[&str] = &[
    "now",
    "transaction_timestamp",
    "statement_timestamp",
    "current_date",
    "current_timestamp",
    "localtimestamp",
    "localtime",
    "lower",
    "upper",
    "length",
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "abs",
    "round",
    "trim",
    "concat",
    "to_char",
    "to_timestamp",
    "to_date",
    "jsonb_build_object",
    "json_build_object",
    "jsonb_build_array",
    "json_build_array",
    "array",
    "make_interval",
    "interval",
    "date_trunc",
    "md5",
    "replace",
    "substr",
    "substring",
    "left",
    "right",
    "format",
];

/// The volatility of an expression, from its parse tree.
pub fn volatility(expr: &protobuf::Node) -> Volatility {
    let mut why = None;
    walk(expr, &mut |n| {
        if why.is_some() {
            return;
        }
        if let N::FuncCall(fc) = n {
            let name = list_name(&fc.funcname);
            let short = name.rsplit('.').next().unwrap_or(&name).to_lowercase();
            if !NOT_VOLATILE.contains(&short.as_str()) {
                why = Some(format!("calls {name}()"));
            }
        }
        if matches!(n, N::SubLink(_)) {
            why = Some("a subquery".into());
        }
    });
    match why {
        Some(w) => Volatility::Volatile(w),
        None => Volatility::Constant,
    }
}

/// Visit every node of an expression (the common expression kinds).
pub(crate) fn walk(node: &protobuf::Node, f: &mut dyn FnMut(&N)) {
    let Some(n) = &node.node else { return };
    f(n);
    let children: Vec<&protobuf::Node> = match n {
        N::FuncCall(x) => x.args.iter().collect(),
        N::TypeCast(x) => x.arg.iter().map(|b| &**b).collect(),
        N::AExpr(x) => x.lexpr.iter().chain(x.rexpr.iter()).map(|b| &**b).collect(),
        N::BoolExpr(x) => x.args.iter().collect(),
        N::CoalesceExpr(x) => x.args.iter().collect(),
        N::MinMaxExpr(x) => x.args.iter().collect(),
        N::AArrayExpr(x) => x.elements.iter().collect(),
        N::CaseExpr(x) => {
            let mut v: Vec<&protobuf::Node> = x.args.iter().collect();
            v.extend(x.arg.iter().map(|b| &**b));
            v.extend(x.defresult.iter().map(|b| &**b));
            v
        }
        N::CaseWhen(x) => x.expr.iter().chain(x.result.iter()).map(|b| &**b).collect(),
        N::NullTest(x) => x.arg.iter().map(|b| &**b).collect(),
        N::BooleanTest(x) => x.arg.iter().map(|b| &**b).collect(),
        N::CollateClause(x) => x.arg.iter().map(|b| &**b).collect(),
        N::AIndirection(x) => x.arg.iter().map(|b| &**b).collect(),
        N::RowExpr(x) => x.args.iter().collect(),
        N::List(x) => x.items.iter().collect(),
        _ => Vec::new(),
    };
    for c in children {
        walk(c, f);
    }
}

/// The type's last name, lower case (`pg_catalog.int4` → `int4`, `varchar`).
pub fn type_name(t: &protobuf::TypeName) -> String {
    let full = list_name(&t.names);
    full.rsplit('.').next().unwrap_or(&full).to_lowercase()
}

/// The column definitions of a `CREATE TABLE` element list.
pub fn column_defs(elts: &[protobuf::Node]) -> impl Iterator<Item = &protobuf::ColumnDef> {
    elts.iter().filter_map(|e| match &e.node {
        Some(N::ColumnDef(c)) => Some(&**c),
        _ => None,
    })
}

/// The constraints in a list of nodes.
pub fn constraints_of(items: &[protobuf::Node]) -> impl Iterator<Item = &protobuf::Constraint> {
    items.iter().filter_map(|e| match &e.node {
        Some(N::Constraint(c)) => Some(&**c),
        _ => None,
    })
}

fn range_vars(items: &[protobuf::Node]) -> impl Iterator<Item = &protobuf::RangeVar> {
    items.iter().filter_map(|e| match &e.node {
        Some(N::RangeVar(r)) => Some(r),
        _ => None,
    })
}

fn def_name(n: &protobuf::Node) -> Option<&str> {
    match &n.node {
        Some(N::DefElem(d)) => Some(d.defname.as_str()),
        _ => None,
    }
}

/// Whether a statement begins, commits or rolls back a transaction block.
pub fn transaction_kind(node: &N) -> Option<TransactionStmtKind> {
    match node {
        N::TransactionStmt(t) => Some(t.kind()),
        _ => None,
    }
}
