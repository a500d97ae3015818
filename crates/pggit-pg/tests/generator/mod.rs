//! A seeded generator of schema changes: from a random base it produces a
//! chain of valid changes (tables with columns of many types, defaults,
//! identity, generated columns, checks, keys, foreign keys, indexes, views,
//! partitions, enums, domains, functions, comments; renames, type changes,
//! drops and additions). Each step is one change script; consecutive
//! schemas form the pairs the round-trip test checks both ways.

/// A small deterministic RNG (xorshift64*): the same seed gives the same
/// chain on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len()))
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ty {
    Int,
    BigInt,
    Text,
    Varchar(u32),
    Numeric(u32, u32),
    Bool,
    Timestamptz,
    Date,
    Jsonb,
    Uuid,
    IntArray,
    Enum(usize),
    Domain(usize),
}

impl Ty {
    fn sql(self, g: &Gen) -> String {
        match self {
            Ty::Int => "integer".into(),
            Ty::BigInt => "bigint".into(),
            Ty::Text => "text".into(),
            Ty::Varchar(n) => format!("varchar({n})"),
            Ty::Numeric(p, s) => format!("numeric({p},{s})"),
            Ty::Bool => "boolean".into(),
            Ty::Timestamptz => "timestamptz".into(),
            Ty::Date => "date".into(),
            Ty::Jsonb => "jsonb".into(),
            Ty::Uuid => "uuid".into(),
            Ty::IntArray => "integer[]".into(),
            Ty::Enum(i) => format!("public.{}", g.enums[i].name),
            Ty::Domain(i) => format!("public.{}", g.domains[i]),
        }
    }

    fn default(self, g: &Gen, rng: &mut Rng) -> Option<String> {
        Some(match self {
            Ty::Int | Ty::BigInt | Ty::Domain(_) => format!("{}", 1 + rng.below(100)),
            Ty::Text | Ty::Varchar(_) => ["'x'", "''", "'a''b'", "'ünï'"][rng.below(4)].into(),
            Ty::Numeric(..) => "0".into(),
            Ty::Bool => ["true", "false"][rng.below(2)].into(),
            Ty::Timestamptz => "now()".into(),
            Ty::Date => "CURRENT_DATE".into(),
            Ty::Jsonb => "'{}'::jsonb".into(),
            Ty::Uuid => return None,
            Ty::IntArray => "'{}'::integer[]".into(),
            Ty::Enum(i) => format!("'{}'", g.enums[i].labels[0]),
        })
    }

    fn integral(self) -> bool {
        matches!(self, Ty::Int | Ty::BigInt)
    }

    fn textual(self) -> bool {
        matches!(self, Ty::Text | Ty::Varchar(_))
    }
}

#[derive(Clone, Debug)]
struct Col {
    name: String,
    ty: Ty,
    not_null: bool,
    default: bool,
    /// Part of the primary key, an identity, a foreign key, or used by a
    /// generated column or a check: not dropped, renamed is fine, not retyped.
    pinned: bool,
    generated: bool,
}

#[derive(Clone, Debug)]
struct Table {
    schema: String,
    name: String,
    cols: Vec<Col>,
    pk: Option<(String, Ty)>,
    indexes: Vec<(String, Vec<String>)>,
    partitioned: bool,
    /// Referenced by a foreign key: its key is not changed.
    referenced: bool,
    /// Extended statistics on it: (schema, name, columns). They stay in
    /// their schema when the table moves.
    stats: Vec<(String, String, Vec<String>)>,
}

#[derive(Clone, Debug)]
struct View {
    name: String,
    table: String,
}

#[derive(Clone, Debug)]
struct Enum {
    name: String,
    labels: Vec<String>,
}

/// The schema the chain has reached, as the generator knows it.
#[derive(Clone, Debug, Default)]
pub struct Gen {
    tables: Vec<Table>,
    views: Vec<View>,
    enums: Vec<Enum>,
    domains: Vec<String>,
    functions: Vec<String>,
    /// Collations made in `public`.
    collations: Vec<String>,
    /// Publications and the names of their tables.
    publications: Vec<(String, Vec<String>)>,
    /// Event triggers.
    event_triggers: Vec<String>,
    /// Aggregates over `integer`.
    aggregates: Vec<String>,
    /// Enums with a cast to `integer`.
    casts: Vec<String>,
    /// Text search configurations in `public`.
    ts_configs: Vec<String>,
    /// Inheritance families, kept apart from `tables`: a change to a
    /// parent reaches its children.
    families: Vec<Family>,
    /// Foreign servers (all of the wrapper `gen_fdw`) and foreign tables:
    /// (name, server index, columns).
    servers: Vec<String>,
    foreign_tables: Vec<(String, usize, Vec<String>)>,
    /// Roles given an object by `owner`: not granted to or revoked from
    /// afterwards (a privilege revoked from an object's own owner is not
    /// tracked).
    owner_roles: Vec<String>,
    /// Operators in `public` over two `integer`s (their symbols).
    operators: Vec<String>,
    /// Operator classes over `integer` in `public`: (class, its family,
    /// whether the family has a loose `>` as strategy 5).
    opclasses: Vec<(String, String, bool)>,
    counter: usize,
}

/// A parent in `public`, its columns (name, whether `int`; the first is
/// the key) and the tables inheriting from it (a child's own child after it).
#[derive(Clone, Debug)]
struct Family {
    parent: String,
    cols: Vec<(String, bool)>,
    children: Vec<String>,
    retyped: bool,
}

fn q(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn t(name: &str) -> String {
    format!("public.{}", q(name))
}

impl Table {
    /// The table's qualified, quoted name.
    fn q(&self) -> String {
        format!("{}.{}", q(&self.schema), q(&self.name))
    }
}

impl Gen {
    fn fresh(&mut self, prefix: &str, rng: &mut Rng) -> String {
        self.counter += 1;
        // Now and then a name that needs quoting.
        match rng.below(12) {
            0 => format!("{prefix} {}", self.counter),
            1 => format!("{prefix}\"q{}", self.counter),
            2 => format!("{prefix}_ü{}", self.counter),
            _ => format!("{prefix}{}", self.counter),
        }
    }

    fn random_type(&self, rng: &mut Rng) -> Ty {
        let mut options = vec![
            Ty::Int,
            Ty::BigInt,
            Ty::Text,
            Ty::Varchar(20 + 10 * rng.below(5) as u32),
            Ty::Numeric(10, 2),
            Ty::Bool,
            Ty::Timestamptz,
            Ty::Date,
            Ty::Jsonb,
            Ty::Uuid,
            Ty::IntArray,
        ];
        if !self.enums.is_empty() {
            options.push(Ty::Enum(rng.below(self.enums.len())));
        }
        if !self.domains.is_empty() {
            options.push(Ty::Domain(rng.below(self.domains.len())));
        }
        *rng.pick(&options).unwrap_or(&Ty::Text)
    }

    fn column_sql(&self, c: &Col, default: Option<&str>) -> String {
        let mut s = format!("{} {}", q(&c.name), c.ty.sql(self));
        if let Some(d) = default {
            s.push_str(&format!(" DEFAULT {d}"));
        }
        if c.not_null {
            s.push_str(" NOT NULL");
        }
        s
    }

    /// The next change: its SQL and the schema after it. `None` when the
    /// chosen change does not apply to this schema (the caller tries again).
    pub fn step(&self, rng: &mut Rng) -> Option<(String, Gen)> {
        let mut g = self.clone();
        let sql = match rng.below(if self.tables.is_empty() { 1 } else { 36 }) {
            0 => g.create_table(rng),
            1 => g.add_column(rng)?,
            2 => g.drop_column(rng)?,
            3 => g.rename_column(rng)?,
            4 => g.rename_table(rng)?,
            5 => g.retype_column(rng)?,
            6 => g.toggle_default(rng)?,
            7 => g.toggle_not_null(rng)?,
            8 => g.add_index(rng)?,
            9 => g.drop_index(rng)?,
            10 => g.add_foreign_key(rng)?,
            11 => g.create_view(rng)?,
            12 => g.drop_view(rng)?,
            13 => g.enum_change(rng),
            14 => g.create_domain(rng),
            15 => g.create_function(rng),
            16 => g.comment(rng)?,
            17 => g.partitioned_table(rng),
            18 => g.add_check(rng)?,
            19 => g.move_table(rng)?,
            20 => g.add_index_pair(rng)?,
            21 => g.privileges(rng)?,
            22 => g.statistics(rng)?,
            23 => g.collation(rng)?,
            24 => g.publication(rng)?,
            25 => g.owner(rng)?,
            26 => g.event_trigger(rng)?,
            27 => g.aggregate(rng)?,
            28 => g.cast(rng)?,
            29 => g.text_search(rng)?,
            30 => g.inheritance(rng)?,
            31 => g.foreign(rng)?,
            32 => g.operator(rng)?,
            33 => g.opclass(rng)?,
            34 => g.settings(rng)?,
            _ => g.drop_table(rng)?,
        };
        Some((sql, g))
    }

    fn create_table(&mut self, rng: &mut Rng) -> String {
        let name = self.fresh("t", rng);
        let key_ty = if rng.chance(50) { Ty::Int } else { Ty::BigInt };
        let key = self.fresh("id", rng);
        let key_sql = match rng.below(3) {
            0 => format!(
                "{} {} GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
                q(&key),
                key_ty.sql(self)
            ),
            1 => format!(
                "{} {} PRIMARY KEY",
                q(&key),
                if key_ty == Ty::Int {
                    "serial"
                } else {
                    "bigserial"
                }
            ),
            _ => format!("{} {} PRIMARY KEY", q(&key), key_ty.sql(self)),
        };
        let mut cols = vec![Col {
            name: key.clone(),
            ty: key_ty,
            not_null: true,
            default: false,
            pinned: true,
            generated: false,
        }];
        let mut defs = vec![key_sql];
        for _ in 0..1 + rng.below(4) {
            let ty = self.random_type(rng);
            let default = if rng.chance(40) {
                ty.default(self, rng)
            } else {
                None
            };
            let c = Col {
                name: self.fresh("c", rng),
                ty,
                not_null: rng.chance(30),
                default: default.is_some(),
                pinned: false,
                generated: false,
            };
            defs.push(self.column_sql(&c, default.as_deref()));
            cols.push(c);
        }
        self.tables.push(Table {
            schema: "public".into(),
            name: name.clone(),
            cols,
            pk: Some((key, key_ty)),
            indexes: Vec::new(),
            stats: Vec::new(),
            partitioned: false,
            referenced: false,
        });
        format!("CREATE TABLE {} ({})", t(&name), defs.join(", "))
    }

    fn partitioned_table(&mut self, rng: &mut Rng) -> String {
        let name = self.fresh("p", rng);
        let key = self.fresh("k", rng);
        let v = self.fresh("v", rng);
        let mut sql = format!(
            "CREATE TABLE {} ({} integer NOT NULL, {} text DEFAULT 'x', PRIMARY KEY ({})) PARTITION BY RANGE ({})",
            t(&name),
            q(&key),
            q(&v),
            q(&key),
            q(&key)
        );
        for i in 0..1 + rng.below(2) {
            let part = format!("{name}_{i}");
            sql.push_str(&format!(
                "; CREATE TABLE {} PARTITION OF {} FOR VALUES FROM ({}) TO ({})",
                t(&part),
                t(&name),
                i * 100,
                (i + 1) * 100
            ));
        }
        self.tables.push(Table {
            schema: "public".into(),
            name,
            cols: vec![
                Col {
                    name: key.clone(),
                    ty: Ty::Int,
                    not_null: true,
                    default: false,
                    pinned: true,
                    generated: false,
                },
                Col {
                    name: v,
                    ty: Ty::Text,
                    not_null: false,
                    default: true,
                    pinned: false,
                    generated: false,
                },
            ],
            pk: Some((key, Ty::Int)),
            indexes: Vec::new(),
            stats: Vec::new(),
            partitioned: true,
            referenced: true, // its partitions are not modelled: leave it be
        });
        sql
    }

    fn table_index(&self, rng: &mut Rng, plain_only: bool) -> Option<usize> {
        let ok: Vec<usize> = (0..self.tables.len())
            .filter(|i| !plain_only || !self.tables[*i].partitioned)
            .collect();
        rng.pick(&ok).copied()
    }

    /// Drop the views over table `ti` (PostgreSQL refuses to drop or retype
    /// a column a view uses); the SQL that does it.
    fn drop_views_on(&mut self, ti: usize) -> String {
        let name = self.tables[ti].name.clone();
        let mut sql = String::new();
        self.views.retain(|v| {
            if v.table == name {
                sql.push_str(&format!("DROP VIEW {}; ", t(&v.name)));
                false
            } else {
                true
            }
        });
        sql
    }

    fn add_column(&mut self, rng: &mut Rng) -> Option<String> {
        let ti = self.table_index(rng, true)?;
        let ty = self.random_type(rng);
        let ints: Vec<String> = self.tables[ti]
            .cols
            .iter()
            .filter(|c| c.ty.integral() && !c.generated)
            .map(|c| c.name.clone())
            .collect();
        let name = self.fresh("c", rng);
        let table = self.tables[ti].q();
        if !ints.is_empty() && rng.chance(20) {
            let src = rng.pick(&ints)?.clone();
            for c in &mut self.tables[ti].cols {
                if c.name == src {
                    c.pinned = true;
                }
            }
            self.tables[ti].cols.push(Col {
                name: name.clone(),
                ty: Ty::BigInt,
                not_null: false,
                default: false,
                pinned: true,
                generated: true,
            });
            return Some(format!(
                "ALTER TABLE {table} ADD COLUMN {} bigint GENERATED ALWAYS AS ({} * 2) STORED",
                q(&name),
                q(&src)
            ));
        }
        let default = if rng.chance(50) {
            ty.default(self, rng)
        } else {
            None
        };
        let c = Col {
            name,
            ty,
            not_null: default.is_some() && rng.chance(50),
            default: default.is_some(),
            pinned: false,
            generated: false,
        };
        let sql = format!(
            "ALTER TABLE {table} ADD COLUMN {}",
            self.column_sql(&c, default.as_deref())
        );
        self.tables[ti].cols.push(c);
        Some(sql)
    }

    fn free_column(&self, rng: &mut Rng, ti: usize) -> Option<usize> {
        let ok: Vec<usize> = (0..self.tables[ti].cols.len())
            .filter(|i| !self.tables[ti].cols[*i].pinned)
            .collect();
        rng.pick(&ok).copied()
    }

    /// Drops the last column only: the reverse migration adds a column back
    /// at the end, and PostgreSQL cannot insert one anywhere else.
    fn drop_column(&mut self, rng: &mut Rng) -> Option<String> {
        let ti = self.table_index(rng, true)?;
        let ci = self.tables[ti].cols.len().checked_sub(1)?;
        if self.tables[ti].cols[ci].pinned {
            return None;
        }
        let mut sql = self.drop_views_on(ti);
        let table = &mut self.tables[ti];
        let col = table.cols.remove(ci);
        table.indexes.retain(|(_, cols)| !cols.contains(&col.name));
        table.stats.retain(|(_, _, cols)| !cols.contains(&col.name));
        sql.push_str(&format!(
            "ALTER TABLE {} DROP COLUMN {}",
            table.q(),
            q(&col.name)
        ));
        Some(sql)
    }

    fn rename_column(&mut self, rng: &mut Rng) -> Option<String> {
        let ti = self.table_index(rng, true)?;
        let ci = rng.below(self.tables[ti].cols.len());
        let new = self.fresh("r", rng);
        let table = &mut self.tables[ti];
        let old = std::mem::replace(&mut table.cols[ci].name, new.clone());
        for cols in table
            .indexes
            .iter_mut()
            .map(|(_, c)| c)
            .chain(table.stats.iter_mut().map(|(_, _, c)| c))
        {
            for c in cols.iter_mut().filter(|c| **c == old) {
                c.clone_from(&new);
            }
        }
        if let Some((k, _)) = &mut table.pk {
            if *k == old {
                k.clone_from(&new);
            }
        }
        Some(format!(
            "ALTER TABLE {} RENAME COLUMN {} TO {}",
            table.q(),
            q(&old),
            q(&new)
        ))
    }

    fn rename_table(&mut self, rng: &mut Rng) -> Option<String> {
        let ti = self.table_index(rng, true)?;
        let new = self.fresh("t", rng);
        let old = std::mem::replace(&mut self.tables[ti].name, new.clone());
        for v in &mut self.views {
            if v.table == old {
                v.table.clone_from(&new);
            }
        }
        for (_, tables) in &mut self.publications {
            for t in tables.iter_mut().filter(|t| **t == old) {
                t.clone_from(&new);
            }
        }
        let schema = q(&self.tables[ti].schema);
        Some(format!(
            "ALTER TABLE {schema}.{} RENAME TO {}",
            q(&old),
            q(&new)
        ))
    }

    /// Move a table to another schema (created on first use); its indexes,
    /// constraints and owned sequences go with it.
    fn move_table(&mut self, rng: &mut Rng) -> Option<String> {
        let ti = self.table_index(rng, true)?;
        let target = if self.tables[ti].schema == "public" {
            ["app", "Odd Schema"][rng.below(2)].to_string()
        } else {
            "public".to_string()
        };
        let from = self.tables[ti].q();
        self.tables[ti].schema.clone_from(&target);
        Some(format!(
            "CREATE SCHEMA IF NOT EXISTS {}; ALTER TABLE {from} SET SCHEMA {}",
            q(&target),
            q(&target)
        ))
    }

    fn retype_column(&mut self, rng: &mut Rng) -> Option<String> {
        let ti = self.table_index(rng, true)?;
        let ci = self.free_column(rng, ti)?;
        let c = self.tables[ti].cols[ci].clone();
        let (ty, using) = match c.ty {
            Ty::Int => (Ty::BigInt, false),
            Ty::Varchar(n) => {
                if rng.chance(50) {
                    (Ty::Varchar(n + 10), false)
                } else {
                    (Ty::Text, false)
                }
            }
            Ty::Text => (Ty::Varchar(200), false),
            Ty::Numeric(p, s) => (Ty::Numeric(p + 2, s), false),
            Ty::Date => (Ty::Timestamptz, false),
            Ty::Bool => (Ty::Int, true),
            _ => return None,
        };
        let mut sql = self.drop_views_on(ti);
        let table = self.tables[ti].q();
        let col = q(&c.name);
        if c.default {
            sql.push_str(&format!(
                "ALTER TABLE {table} ALTER COLUMN {col} DROP DEFAULT; "
            ));
            self.tables[ti].cols[ci].default = false;
        }
        let using_sql = if using {
            format!(" USING CASE WHEN {col} THEN 1 ELSE 0 END")
        } else {
            String::new()
        };
        sql.push_str(&format!(
            "ALTER TABLE {table} ALTER COLUMN {col} TYPE {}{using_sql}",
            ty.sql(self)
        ));
        self.tables[ti].cols[ci].ty = ty;
        Some(sql)
    }

    fn toggle_default(&mut self, rng: &mut Rng) -> Option<String> {
        let ti = self.table_index(rng, true)?;
        let ci = self.free_column(rng, ti)?;
        let c = self.tables[ti].cols[ci].clone();
        let table = self.tables[ti].q();
        if c.default {
            self.tables[ti].cols[ci].default = false;
            Some(format!(
                "ALTER TABLE {table} ALTER COLUMN {} DROP DEFAULT",
                q(&c.name)
            ))
        } else {
            let d = c.ty.default(self, rng)?;
            self.tables[ti].cols[ci].default = true;
            Some(format!(
                "ALTER TABLE {table} ALTER COLUMN {} SET DEFAULT {d}",
                q(&c.name)
            ))
        }
    }

    fn toggle_not_null(&mut self, rng: &mut Rng) -> Option<String> {
        let ti = self.table_index(rng, true)?;
        let ci = self.free_column(rng, ti)?;
        let c = &mut self.tables[ti].cols[ci];
        c.not_null = !c.not_null;
        Some(format!(
            "ALTER TABLE {} ALTER COLUMN {} {} NOT NULL",
            self.tables[ti].q(),
            q(&self.tables[ti].cols[ci].name),
            if self.tables[ti].cols[ci].not_null {
                "SET"
            } else {
                "DROP"
            }
        ))
    }

    fn add_index(&mut self, rng: &mut Rng) -> Option<String> {
        let ti = self.table_index(rng, true)?;
        let candidates: Vec<Col> = self.tables[ti]
            .cols
            .iter()
            .filter(|c| !matches!(c.ty, Ty::Jsonb | Ty::IntArray))
            .cloned()
            .collect();
        let c = rng.pick(&candidates)?.clone();
        let name = self.fresh("i", rng);
        let table = self.tables[ti].q();
        let (unique, expr, pred) = match rng.below(4) {
            0 if c.ty.textual() => ("", format!("lower({})", q(&c.name)), String::new()),
            1 => ("UNIQUE ", q(&c.name), String::new()),
            2 => ("", q(&c.name), format!(" WHERE {} IS NOT NULL", q(&c.name))),
            _ => ("", format!("{} DESC NULLS LAST", q(&c.name)), String::new()),
        };
        self.tables[ti]
            .indexes
            .push((name.clone(), vec![c.name.clone()]));
        Some(format!(
            "CREATE {unique}INDEX {} ON {table} ({expr}){pred}",
            q(&name)
        ))
    }

    /// A two-column index (unique now and then).
    fn add_index_pair(&mut self, rng: &mut Rng) -> Option<String> {
        let ti = self.table_index(rng, true)?;
        let (a, b) = self.two_columns(ti, rng)?;
        let name = self.fresh("i", rng);
        let unique = if rng.chance(30) { "UNIQUE " } else { "" };
        let sql = format!(
            "CREATE {unique}INDEX {} ON {} ({}, {} DESC)",
            q(&name),
            self.tables[ti].q(),
            q(&a),
            q(&b)
        );
        self.tables[ti].indexes.push((name, vec![a, b]));
        Some(sql)
    }

    /// Two different columns of table `ti` that an index or statistics
    /// object can cover (not jsonb or arrays).
    fn two_columns(&self, ti: usize, rng: &mut Rng) -> Option<(String, String)> {
        let cols: Vec<&String> = self.tables[ti]
            .cols
            .iter()
            .filter(|c| !matches!(c.ty, Ty::Jsonb | Ty::IntArray))
            .map(|c| &c.name)
            .collect();
        if cols.len() < 2 {
            return None;
        }
        let a = rng.below(cols.len());
        let b = (a + 1 + rng.below(cols.len() - 1)) % cols.len();
        Some((cols[a].clone(), cols[b].clone()))
    }

    fn drop_index(&mut self, rng: &mut Rng) -> Option<String> {
        let ti = self.table_index(rng, true)?;
        let n = self.tables[ti].indexes.len();
        if n == 0 {
            return None;
        }
        let (name, _) = self.tables[ti].indexes.remove(rng.below(n));
        Some(format!(
            "DROP INDEX {}.{}",
            q(&self.tables[ti].schema),
            q(&name)
        ))
    }

    fn add_foreign_key(&mut self, rng: &mut Rng) -> Option<String> {
        let from = self.table_index(rng, true)?;
        let to = self.table_index(rng, true)?;
        let (key, key_ty) = self.tables[to].pk.clone()?;
        self.tables[to].referenced = true;
        for c in &mut self.tables[to].cols {
            if c.name == key {
                c.pinned = true;
            }
        }
        let name = self.fresh("fk", rng);
        let action = [
            "",
            " ON DELETE CASCADE",
            " ON DELETE SET NULL",
            " DEFERRABLE INITIALLY DEFERRED",
        ][rng.below(4)];
        let sql = format!(
            "ALTER TABLE {} ADD COLUMN {} {} REFERENCES {} ({}){action}",
            self.tables[from].q(),
            q(&name),
            key_ty.sql(self),
            self.tables[to].q(),
            q(&key)
        );
        self.tables[from].cols.push(Col {
            name,
            ty: key_ty,
            not_null: false,
            default: false,
            pinned: true,
            generated: false,
        });
        Some(sql)
    }

    fn create_view(&mut self, rng: &mut Rng) -> Option<String> {
        let ti = self.table_index(rng, false)?;
        let table = self.tables[ti].clone();
        let cols: Vec<String> = table
            .cols
            .iter()
            .filter(|_| rng.chance(70))
            .map(|c| q(&c.name))
            .collect();
        if cols.is_empty() {
            return None;
        }
        let name = self.fresh("v", rng);
        let filter = table
            .cols
            .iter()
            .find(|c| c.ty.integral())
            .map(|c| format!(" WHERE {} > 0", q(&c.name)))
            .unwrap_or_default();
        self.views.push(View {
            name: name.clone(),
            table: table.name.clone(),
        });
        Some(format!(
            "CREATE VIEW {} AS SELECT {} FROM {}{filter}",
            t(&name),
            cols.join(", "),
            table.q()
        ))
    }

    fn drop_view(&mut self, rng: &mut Rng) -> Option<String> {
        if self.views.is_empty() {
            return None;
        }
        let v = self.views.remove(rng.below(self.views.len()));
        Some(format!("DROP VIEW {}", t(&v.name)))
    }

    fn enum_change(&mut self, rng: &mut Rng) -> String {
        if !self.enums.is_empty() && rng.chance(60) {
            let i = rng.below(self.enums.len());
            let label = self.fresh("l", rng);
            let name = self.enums[i].name.clone();
            let labels = &mut self.enums[i].labels;
            let at = rng.below(labels.len() + 1);
            let sql = if at == labels.len() {
                format!("ALTER TYPE {} ADD VALUE '{label}'", t(&name))
            } else {
                format!(
                    "ALTER TYPE {} ADD VALUE '{label}' BEFORE '{}'",
                    t(&name),
                    labels[at]
                )
            };
            labels.insert(at, label);
            return sql;
        }
        let name = self.fresh("e", rng);
        let labels: Vec<String> = (0..1 + rng.below(3))
            .map(|_| self.fresh("l", rng))
            .collect();
        let sql = format!(
            "CREATE TYPE {} AS ENUM ({})",
            t(&name),
            labels
                .iter()
                .map(|l| format!("'{l}'"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        self.enums.push(Enum { name, labels });
        sql
    }

    fn create_domain(&mut self, rng: &mut Rng) -> String {
        let name = self.fresh("d", rng);
        self.domains.push(name.clone());
        format!("CREATE DOMAIN {} AS integer CHECK (VALUE > 0)", t(&name))
    }

    fn create_function(&mut self, rng: &mut Rng) -> String {
        let name = self.fresh("f", rng);
        self.functions.push(name.clone());
        let body = match rng.below(3) {
            0 => "LANGUAGE sql IMMUTABLE AS $$ SELECT x + 1 $$".to_string(),
            1 => "LANGUAGE plpgsql STABLE AS $$ BEGIN RETURN x * 2; END $$".to_string(),
            _ => "LANGUAGE sql STRICT PARALLEL SAFE AS $$ SELECT abs(x) $$".to_string(),
        };
        format!(
            "CREATE FUNCTION {}(x integer) RETURNS integer {body}",
            t(&name)
        )
    }

    fn comment(&mut self, rng: &mut Rng) -> Option<String> {
        let ti = self.table_index(rng, false)?;
        let table = &self.tables[ti];
        let text = ["'it''s here'", "'ünïcode'", "NULL", "'two\nlines'"][rng.below(4)];
        Some(if rng.chance(50) {
            format!("COMMENT ON TABLE {} IS {text}", table.q())
        } else {
            let c = rng.pick(&table.cols)?;
            format!("COMMENT ON COLUMN {}.{} IS {text}", table.q(), q(&c.name))
        })
    }

    /// Collations: a textual column given a collation (a new ICU or libc one,
    /// one made before, or "C"), or a collation renamed (the columns that
    /// use it follow).
    fn collation(&mut self, rng: &mut Rng) -> Option<String> {
        if !self.collations.is_empty() && rng.chance(25) {
            let i = rng.below(self.collations.len());
            let new = self.fresh("co", rng);
            let old = std::mem::replace(&mut self.collations[i], new.clone());
            return Some(format!(
                "ALTER COLLATION public.{} RENAME TO {}",
                q(&old),
                q(&new)
            ));
        }
        let ti = self.table_index(rng, true)?;
        let ci = self.free_column(rng, ti)?;
        let c = self.tables[ti].cols[ci].clone();
        if !c.ty.textual() {
            return None;
        }
        let mut sql = String::new();
        let coll = match rng.below(3) {
            0 => {
                let name = self.fresh("co", rng);
                sql.push_str(&format!(
                    "CREATE COLLATION public.{} {}; ",
                    q(&name),
                    [
                        "(provider = icu, locale = 'und-u-ks-level2', deterministic = false)",
                        "(provider = icu, locale = 'de-u-co-phonebk')",
                        "(provider = libc, locale = 'C')",
                    ][rng.below(3)]
                ));
                self.collations.push(name.clone());
                format!("public.{}", q(&name))
            }
            1 if !self.collations.is_empty() => {
                let name = &self.collations[rng.below(self.collations.len())];
                format!("public.{}", q(name))
            }
            _ => "\"C\"".to_string(),
        };
        sql.push_str(&self.drop_views_on(ti));
        sql.push_str(&format!(
            "ALTER TABLE {} ALTER COLUMN {} TYPE {} COLLATE {coll}",
            self.tables[ti].q(),
            q(&c.name),
            c.ty.sql(self)
        ));
        Some(sql)
    }

    /// Extended statistics: created on two columns of a table (some kinds
    /// or all), or an existing one renamed, given a target, commented or
    /// dropped.
    fn statistics(&mut self, rng: &mut Rng) -> Option<String> {
        let ti = self.table_index(rng, true)?;
        let existing = self.tables[ti].stats.len();
        if existing == 0 || rng.chance(40) {
            let (a, b) = self.two_columns(ti, rng)?;
            let name = self.fresh("st", rng);
            let schema = self.tables[ti].schema.clone();
            let kinds = ["", " (ndistinct)", " (dependencies, mcv)", " (mcv)"][rng.below(4)];
            let sql = format!(
                "CREATE STATISTICS {}.{}{kinds} ON {}, {} FROM {}",
                q(&schema),
                q(&name),
                q(&a),
                q(&b),
                self.tables[ti].q()
            );
            self.tables[ti].stats.push((schema, name, vec![a, b]));
            return Some(sql);
        }
        let si = rng.below(existing);
        let (schema, name, _) = self.tables[ti].stats[si].clone();
        let qualified = format!("{}.{}", q(&schema), q(&name));
        Some(match rng.below(4) {
            0 => {
                let new = self.fresh("st", rng);
                self.tables[ti].stats[si].1.clone_from(&new);
                format!("ALTER STATISTICS {qualified} RENAME TO {}", q(&new))
            }
            1 => {
                let n = [-1, 0, 250, 10000][rng.below(4)];
                format!("ALTER STATISTICS {qualified} SET STATISTICS {n}")
            }
            2 => {
                let text = ["'it''s here'", "NULL"][rng.below(2)];
                format!("COMMENT ON STATISTICS {qualified} IS {text}")
            }
            _ => {
                self.tables[ti].stats.remove(si);
                format!("DROP STATISTICS {qualified}")
            }
        })
    }

    /// A GRANT or REVOKE (with or without grant option, on a table, some of
    /// its columns, a view, a function, a type or a schema), or default
    /// privileges, to the roles the harness creates (`corpus::privileges`).
    fn privileges(&mut self, rng: &mut Rng) -> Option<String> {
        let roles = [
            "pggit_rt_reader",
            "pggit_rt_writer",
            "pggit Odd \"Role\" ; --",
            "PUBLIC",
        ];
        let who = roles[rng.below(roles.len())];
        let who = if who == "PUBLIC" {
            who.to_string()
        } else {
            q(who)
        };
        if self.owner_roles.contains(&who) {
            return None;
        }
        let verb = rng.chance(65);
        let option = rng.chance(20);
        let (head, to) = if verb {
            ("GRANT", "TO")
        } else {
            ("REVOKE", "FROM")
        };
        let head = if !verb && option {
            "REVOKE GRANT OPTION FOR"
        } else {
            head
        };
        let tail = if verb && option && who != "PUBLIC" {
            " WITH GRANT OPTION"
        } else {
            ""
        };
        let (privs, on) = match rng.below(7) {
            0 | 1 => {
                let ti = self.table_index(rng, false)?;
                let p = [
                    "SELECT",
                    "INSERT, UPDATE",
                    "ALL",
                    "DELETE, TRUNCATE",
                    "REFERENCES, TRIGGER",
                ][rng.below(5)];
                (p.to_string(), format!("TABLE {}", self.tables[ti].q()))
            }
            2 => {
                let ti = self.table_index(rng, false)?;
                let c = rng.pick(&self.tables[ti].cols)?;
                let p = ["SELECT", "UPDATE", "INSERT", "REFERENCES"][rng.below(4)];
                (
                    format!("{p} ({})", q(&c.name)),
                    format!("TABLE {}", self.tables[ti].q()),
                )
            }
            3 => {
                let v = rng.pick(&self.views)?;
                ("SELECT".into(), format!("TABLE {}", t(&v.name)))
            }
            4 => {
                let f = rng.pick(&self.functions)?;
                ("EXECUTE".into(), format!("FUNCTION {}(integer)", t(f)))
            }
            5 => {
                let (kw, name) = if rng.chance(50) {
                    ("DOMAIN", rng.pick(&self.domains)?.clone())
                } else {
                    ("TYPE", rng.pick(&self.enums)?.name.clone())
                };
                ("USAGE".into(), format!("{kw} {}", t(&name)))
            }
            _ => {
                let objects = ["TABLES", "SEQUENCES", "FUNCTIONS", "TYPES"][rng.below(4)];
                let p = match objects {
                    "TABLES" => "SELECT",
                    "SEQUENCES" => "USAGE",
                    "FUNCTIONS" => "EXECUTE",
                    _ => "USAGE",
                };
                let scope = if rng.chance(50) {
                    " IN SCHEMA public"
                } else {
                    ""
                };
                return Some(format!(
                    "ALTER DEFAULT PRIVILEGES{scope} {head} {p} ON {objects} {to} {who}{tail}"
                ));
            }
        };
        Some(format!("{head} {privs} ON {on} {to} {who}{tail}"))
    }

    /// An aggregate over `integer` created (with or without an initial
    /// state, parallel or not), or one renamed, commented or dropped.
    fn aggregate(&mut self, rng: &mut Rng) -> Option<String> {
        if !self.aggregates.is_empty() && rng.chance(40) {
            let i = rng.below(self.aggregates.len());
            let name = format!("{}(integer)", t(&self.aggregates[i]));
            return Some(match rng.below(3) {
                0 => {
                    let new = self.fresh("agg", rng);
                    self.aggregates[i] = new.clone();
                    format!("ALTER AGGREGATE {name} RENAME TO {}", q(&new))
                }
                1 => format!("COMMENT ON AGGREGATE {name} IS 'sums'"),
                _ => {
                    self.aggregates.remove(i);
                    format!("DROP AGGREGATE {name}")
                }
            });
        }
        let name = self.fresh("agg", rng);
        let options = [
            "SFUNC = int4pl, STYPE = integer",
            "SFUNC = int4pl, STYPE = integer, INITCOND = '0', COMBINEFUNC = int4pl, PARALLEL = SAFE",
            "SFUNC = int4larger, STYPE = integer, SORTOP = >",
        ][rng.below(3)];
        self.aggregates.push(name.clone());
        Some(format!(
            "CREATE AGGREGATE {}(integer) ({options})",
            t(&name)
        ))
    }

    /// An operator over `integer` made (with a commutator, hashes or a
    /// restriction estimator), commented, changed or dropped.
    fn operator(&mut self, rng: &mut Rng) -> Option<String> {
        if !self.operators.is_empty() && rng.chance(50) {
            let i = rng.below(self.operators.len());
            let target = format!("public.{} (integer, integer)", self.operators[i]);
            return Some(match rng.below(3) {
                0 => format!("COMMENT ON OPERATOR {target} IS 'op'"),
                1 => format!("ALTER OPERATOR {target} SET (RESTRICT = scalarltsel)"),
                _ => {
                    self.operators.remove(i);
                    format!("DROP OPERATOR {target}")
                }
            });
        }
        let symbols = ["@+@", "<=>", "#@#", "~~>", "&&&", "-|-"];
        let symbol = symbols
            .iter()
            .find(|s| !self.operators.iter().any(|o| o == *s))?;
        self.operators.push(symbol.to_string());
        let extra = [
            "",
            ", COMMUTATOR = OPERATOR(public.<=>)",
            ", RESTRICT = eqsel, JOIN = eqjoinsel",
        ][rng.below(3)];
        let extra = if *symbol == "<=>" || !extra.contains("<=>") {
            extra
        } else {
            ""
        };
        Some(format!(
            "CREATE OPERATOR public.{symbol} (FUNCTION = int4pl, LEFTARG = integer, RIGHTARG = integer{extra})"
        ))
    }

    /// A column's statistics target, storage mode or `n_distinct` (set or
    /// reset, on the table only), or a new index the table is clustered on,
    /// or the table no longer clustered.
    fn settings(&mut self, rng: &mut Rng) -> Option<String> {
        let ti = self.table_index(rng, true)?;
        let tq = self.tables[ti].q();
        let ci = rng.below(self.tables[ti].cols.len().max(1));
        let col = self.tables[ti].cols.get(ci)?.clone();
        let at = format!("ALTER TABLE ONLY {tq} ALTER COLUMN {}", q(&col.name));
        Some(match rng.below(6) {
            0 => format!("{at} SET STATISTICS {}", [-1, 0, 50, 1000][rng.below(4)]),
            1 => {
                let varlena = matches!(
                    col.ty,
                    Ty::Text | Ty::Varchar(_) | Ty::Numeric(..) | Ty::Jsonb | Ty::IntArray
                );
                let modes: &[&str] = if varlena {
                    &["PLAIN", "MAIN", "EXTERNAL", "EXTENDED"]
                } else {
                    &["PLAIN"]
                };
                format!("{at} SET STORAGE {}", modes[rng.below(modes.len())])
            }
            2 => format!(
                "{at} SET (n_distinct = {})",
                ["-1", "-0.5", "100"][rng.below(3)]
            ),
            3 => format!("{at} RESET (n_distinct)"),
            4 => {
                let name = self.fresh("cl", rng);
                self.tables[ti]
                    .indexes
                    .push((name.clone(), vec![col.name.clone()]));
                format!(
                    "CREATE INDEX {} ON {tq} ({}); ALTER TABLE ONLY {tq} CLUSTER ON {}",
                    q(&name),
                    q(&col.name),
                    q(&name)
                )
            }
            _ => format!("ALTER TABLE ONLY {tq} SET WITHOUT CLUSTER"),
        })
    }

    /// An operator class over `integer` made (in its own family or an
    /// explicit one) from the server's operators, or commented, renamed,
    /// given or stripped of a loose family member, or dropped with its
    /// family.
    fn opclass(&mut self, rng: &mut Rng) -> Option<String> {
        if !self.opclasses.is_empty() && rng.chance(60) {
            let i = rng.below(self.opclasses.len());
            let (class, family, loose) = self.opclasses[i].clone();
            let (c, f) = (q(&class), q(&family));
            return Some(match rng.below(4) {
                0 => format!("COMMENT ON OPERATOR CLASS public.{c} USING btree IS 'opc'"),
                1 => {
                    let name = self.fresh("opc", rng);
                    self.opclasses[i].0 = name.clone();
                    format!(
                        "ALTER OPERATOR CLASS public.{c} USING btree RENAME TO {}",
                        q(&name)
                    )
                }
                2 => {
                    self.opclasses[i].2 = !loose;
                    if loose {
                        format!("ALTER OPERATOR FAMILY public.{f} USING btree DROP OPERATOR 5 (integer, integer)")
                    } else {
                        format!("ALTER OPERATOR FAMILY public.{f} USING btree ADD OPERATOR 5 >(integer, integer)")
                    }
                }
                _ => {
                    self.opclasses.remove(i);
                    format!("DROP OPERATOR FAMILY public.{f} USING btree")
                }
            });
        }
        let class = self.fresh("opc", rng);
        let (family, family_sql) = if rng.chance(50) {
            (class.clone(), String::new())
        } else {
            let f = self.fresh("opf", rng);
            let sql = format!("CREATE OPERATOR FAMILY public.{} USING btree; ", q(&f));
            (f, sql)
        };
        let family_clause = if family == class {
            String::new()
        } else {
            format!(" FAMILY public.{}", q(&family))
        };
        self.opclasses.push((class.clone(), family, false));
        Some(format!(
            "{family_sql}CREATE OPERATOR CLASS public.{} FOR TYPE integer USING btree{family_clause} AS OPERATOR 1 <, OPERATOR 3 =, FUNCTION 1 btint4cmp(integer, integer)",
            q(&class)
        ))
    }

    /// A foreign server or foreign table made (the wrapper with the first
    /// server), or their options, columns or names changed, or dropped.
    fn foreign(&mut self, rng: &mut Rng) -> Option<String> {
        if self.servers.is_empty() {
            let name = self.fresh("srv", rng);
            self.servers.push(name.clone());
            return Some(format!(
                "CREATE FOREIGN DATA WRAPPER gen_fdw; CREATE SERVER {} FOREIGN DATA WRAPPER gen_fdw OPTIONS (host 'h1')",
                q(&name)
            ));
        }
        if self.foreign_tables.is_empty() || rng.chance(30) {
            let name = self.fresh("ft", rng);
            let col = self.fresh("c", rng);
            let server = rng.below(self.servers.len());
            let sql = format!(
                "CREATE FOREIGN TABLE {} ({} int OPTIONS (column_name 'x') NOT NULL, note text) SERVER {} OPTIONS (table_name 'remote')",
                t(&name),
                q(&col),
                q(&self.servers[server])
            );
            self.foreign_tables
                .push((name, server, vec![col, "note".into()]));
            return Some(sql);
        }
        let i = rng.below(self.foreign_tables.len());
        let (name, server, cols) = self.foreign_tables[i].clone();
        let ft = format!("ALTER FOREIGN TABLE {}", t(&name));
        Some(match rng.below(8) {
            0 => format!(
                "{ft} OPTIONS (SET table_name '{}')",
                self.fresh("t", rng).replace(['\'', '"', ' '], "")
            ),
            1 => {
                let col = self.fresh("c", rng);
                self.foreign_tables[i].2.push(col.clone());
                format!(
                    "{ft} ADD COLUMN {} bigint OPTIONS (column_name 'y')",
                    q(&col)
                )
            }
            2 => format!(
                "{ft} ALTER COLUMN {} OPTIONS (SET column_name 'z')",
                q(&cols[0])
            ),
            3 => {
                let new = self.fresh("ft", rng);
                self.foreign_tables[i].0 = new.clone();
                format!("{ft} RENAME TO {}", q(&new))
            }
            4 => format!("COMMENT ON FOREIGN TABLE {} IS 'remote data'", t(&name)),
            5 => {
                let s = self.servers[server].clone();
                format!("ALTER SERVER {} VERSION '2' OPTIONS (SET host 'h2')", q(&s))
            }
            6 => {
                let s = self.fresh("srv", rng);
                self.servers.push(s.clone());
                format!(
                    "CREATE SERVER {} TYPE 'x' FOREIGN DATA WRAPPER gen_fdw",
                    q(&s)
                )
            }
            _ => {
                self.foreign_tables.remove(i);
                format!("DROP FOREIGN TABLE {}", t(&name))
            }
        })
    }

    /// An inheritance family made, or its parent changed (PostgreSQL
    /// applies the change to the children too), a child's own default set,
    /// a grandchild made, a child dropped or let go (`NO INHERIT`).
    fn inheritance(&mut self, rng: &mut Rng) -> Option<String> {
        if self.families.is_empty() || rng.chance(25) {
            let parent = self.fresh("parent", rng);
            let key = self.fresh("id", rng);
            let label = self.fresh("label", rng);
            let child = self.fresh("child", rng);
            let sql = format!(
                "CREATE TABLE {p} ({k} int NOT NULL, {l} text DEFAULT 'x'); CREATE TABLE {c} ({e} int) INHERITS ({p})",
                p = t(&parent),
                k = q(&key),
                l = q(&label),
                c = t(&child),
                e = q(&self.fresh("extra", rng)),
            );
            self.families.push(Family {
                parent,
                cols: vec![(key, true), (label, false)],
                children: vec![child],
                retyped: false,
            });
            return Some(sql);
        }
        let i = rng.below(self.families.len());
        let f = self.families[i].clone();
        let p = t(&f.parent);
        let pick = 1 + rng.below(f.cols.len().max(2) - 1);
        Some(match rng.below(9) {
            0 => {
                let name = self.fresh("c", rng);
                self.families[i].cols.push((name.clone(), true));
                format!("ALTER TABLE {p} ADD COLUMN {} int DEFAULT 7", q(&name))
            }
            1 if pick < f.cols.len() => {
                let new = self.fresh("r", rng);
                let old = std::mem::replace(&mut self.families[i].cols[pick].0, new.clone());
                format!("ALTER TABLE {p} RENAME COLUMN {} TO {}", q(&old), q(&new))
            }
            2 if pick < f.cols.len() => {
                let (name, _) = self.families[i].cols.remove(pick);
                format!("ALTER TABLE {p} DROP COLUMN {}", q(&name))
            }
            3 if !f.retyped => {
                self.families[i].retyped = true;
                format!(
                    "ALTER TABLE {p} ALTER COLUMN {} TYPE bigint",
                    q(&f.cols[0].0)
                )
            }
            4 if pick < f.cols.len() => {
                let (name, int) = &f.cols[pick];
                let d = if *int { "42" } else { "'y'" };
                format!("ALTER TABLE {p} ALTER COLUMN {} SET DEFAULT {d}", q(name))
            }
            5 if pick < f.cols.len() && !f.children.is_empty() => {
                let child = rng.pick(&f.children)?;
                let (name, int) = &f.cols[pick];
                let d = if *int { "-1" } else { "'own'" };
                format!(
                    "ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {d}",
                    t(child),
                    q(name)
                )
            }
            6 if !f.children.is_empty() => {
                let child = f.children[f.children.len() - 1].clone();
                let grandchild = self.fresh("grandchild", rng);
                self.families[i].children.push(grandchild.clone());
                format!(
                    "CREATE TABLE {} (n int) INHERITS ({})",
                    t(&grandchild),
                    t(&child)
                )
            }
            7 if !f.children.is_empty() => {
                // The last child: nothing inherits from it.
                let child = self.families[i].children.pop()?;
                format!("DROP TABLE {}", t(&child))
            }
            8 => format!(
                "ALTER TABLE {p} ADD CONSTRAINT {} CHECK ({} IS NOT NULL)",
                q(&self.fresh("chk", rng)),
                q(&f.cols[0].0)
            ),
            _ => return None,
        })
    }

    /// A text search configuration copied from `english` or made bare,
    /// or one whose mappings change, renamed, commented or dropped.
    fn text_search(&mut self, rng: &mut Rng) -> Option<String> {
        if !self.ts_configs.is_empty() && rng.chance(60) {
            let i = rng.below(self.ts_configs.len());
            let name = t(&self.ts_configs[i]);
            let alter = format!("ALTER TEXT SEARCH CONFIGURATION {name}");
            return Some(match rng.below(6) {
                0 => format!("{alter} ADD MAPPING FOR asciiword, word WITH simple"),
                1 => format!("{alter} ALTER MAPPING REPLACE simple WITH english_stem"),
                2 => format!("{alter} DROP MAPPING IF EXISTS FOR asciiword"),
                3 => {
                    let new = self.fresh("ts", rng);
                    self.ts_configs[i] = new.clone();
                    format!("{alter} RENAME TO {}", q(&new))
                }
                4 => format!("COMMENT ON TEXT SEARCH CONFIGURATION {name} IS 'search'"),
                _ => {
                    self.ts_configs.remove(i);
                    format!("DROP TEXT SEARCH CONFIGURATION {name}")
                }
            });
        }
        let name = self.fresh("ts", rng);
        let how = if rng.chance(50) {
            "COPY = pg_catalog.english"
        } else {
            "PARSER = pg_catalog.\"default\""
        };
        self.ts_configs.push(name.clone());
        Some(format!(
            "CREATE TEXT SEARCH CONFIGURATION {} ({how})",
            t(&name)
        ))
    }

    /// A cast from an enum to `integer` (through text, `AS ASSIGNMENT` or
    /// not) created, commented or dropped.
    fn cast(&mut self, rng: &mut Rng) -> Option<String> {
        if let Some(i) =
            (!self.casts.is_empty() && rng.chance(40)).then(|| rng.below(self.casts.len()))
        {
            let e = t(&self.casts[i]);
            return Some(if rng.chance(50) {
                format!("COMMENT ON CAST ({e} AS integer) IS 'by label'")
            } else {
                self.casts.remove(i);
                format!("DROP CAST ({e} AS integer)")
            });
        }
        let e = rng.pick(&self.enums)?.name.clone();
        if self.casts.contains(&e) {
            return None;
        }
        let context = if rng.chance(50) { " AS ASSIGNMENT" } else { "" };
        self.casts.push(e.clone());
        Some(format!(
            "CREATE CAST ({} AS integer) WITH INOUT{context}",
            t(&e)
        ))
    }

    /// An event trigger created (with a function of its own that does
    /// nothing, on a random event, with or without tags), or one renamed,
    /// enabled or disabled, commented or dropped.
    fn event_trigger(&mut self, rng: &mut Rng) -> Option<String> {
        if !self.event_triggers.is_empty() && rng.chance(50) {
            let i = rng.below(self.event_triggers.len());
            let name = q(&self.event_triggers[i]);
            return Some(match rng.below(4) {
                0 => {
                    let new = self.fresh("et", rng);
                    self.event_triggers[i] = new.clone();
                    format!("ALTER EVENT TRIGGER {name} RENAME TO {}", q(&new))
                }
                1 => {
                    let state =
                        ["DISABLE", "ENABLE", "ENABLE REPLICA", "ENABLE ALWAYS"][rng.below(4)];
                    format!("ALTER EVENT TRIGGER {name} {state}")
                }
                2 => format!("COMMENT ON EVENT TRIGGER {name} IS 'watches DDL'"),
                _ => {
                    self.event_triggers.remove(i);
                    format!("DROP EVENT TRIGGER {name}")
                }
            });
        }
        let name = self.fresh("et", rng);
        let function = self.fresh("etf", rng);
        let (event, tags) = [
            (
                "ddl_command_start",
                " WHEN TAG IN ('CREATE TABLE', 'ALTER TABLE')",
            ),
            ("ddl_command_end", ""),
            ("sql_drop", " WHEN TAG IN ('DROP TABLE')"),
            ("table_rewrite", ""),
        ][rng.below(4)];
        let tags = if rng.chance(50) { tags } else { "" };
        self.event_triggers.push(name.clone());
        Some(format!(
            "CREATE FUNCTION {f}() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$; \
             CREATE EVENT TRIGGER {} ON {event}{tags} EXECUTE FUNCTION {f}()",
            q(&name),
            f = t(&function)
        ))
    }

    /// A new owner (one of the harness's roles, or back to the connecting
    /// role) for a table, view, function, domain or enum.
    fn owner(&mut self, rng: &mut Rng) -> Option<String> {
        let roles = [
            q("pggit_rt_reader"),
            q("pggit_rt_writer"),
            q("pggit Odd \"Role\" ; --"),
            "CURRENT_USER".to_string(),
        ];
        let who = &roles[rng.below(roles.len())];
        let on = match rng.below(5) {
            0 | 1 => {
                let ti = self.table_index(rng, false)?;
                format!("TABLE {}", self.tables[ti].q())
            }
            2 => format!("VIEW {}", t(&rng.pick(&self.views)?.name)),
            3 => format!("FUNCTION {}(integer)", t(rng.pick(&self.functions)?)),
            _ => {
                if rng.chance(50) {
                    format!("DOMAIN {}", t(rng.pick(&self.domains)?))
                } else {
                    format!("TYPE {}", t(&rng.pick(&self.enums)?.name))
                }
            }
        };
        if !self.owner_roles.contains(who) && who != "CURRENT_USER" {
            self.owner_roles.push(who.clone());
        }
        Some(format!("ALTER {on} OWNER TO {who}"))
    }

    fn add_check(&mut self, rng: &mut Rng) -> Option<String> {
        let ti = self.table_index(rng, true)?;
        let ints: Vec<usize> = (0..self.tables[ti].cols.len())
            .filter(|i| {
                let c = &self.tables[ti].cols[*i];
                c.ty.integral() && !c.generated
            })
            .collect();
        let ci = *rng.pick(&ints)?;
        self.tables[ti].cols[ci].pinned = true;
        let name = self.fresh("ck", rng);
        Some(format!(
            "ALTER TABLE {} ADD CONSTRAINT {} CHECK ({} >= 0)",
            self.tables[ti].q(),
            q(&name),
            q(&self.tables[ti].cols[ci].name)
        ))
    }

    fn drop_table(&mut self, rng: &mut Rng) -> Option<String> {
        let ti = self.table_index(rng, false)?;
        if self.tables[ti].referenced {
            return None;
        }
        let mut sql = self.drop_views_on(ti);
        let table = self.tables.remove(ti);
        for (_, tables) in &mut self.publications {
            tables.retain(|t| *t != table.name);
        }
        sql.push_str(&format!("DROP TABLE {}", table.q()));
        Some(sql)
    }

    /// Publications: one created for a table (publishing some operations
    /// now and then), a table added to or dropped from one, its options
    /// set, or one renamed or dropped.
    fn publication(&mut self, rng: &mut Rng) -> Option<String> {
        let ti = self.table_index(rng, true)?;
        let table = self.tables[ti].name.clone();
        let tq = self.tables[ti].q();
        if self.publications.is_empty() || rng.chance(30) {
            let name = self.fresh("pub", rng);
            let with = [
                "",
                " WITH (publish = 'insert, update')",
                " WITH (publish = '')",
            ][rng.below(3)];
            self.publications.push((name.clone(), vec![table]));
            return Some(format!(
                "CREATE PUBLICATION {} FOR TABLE {tq}{with}",
                q(&name)
            ));
        }
        let pi = rng.below(self.publications.len());
        let name = self.publications[pi].0.clone();
        Some(match rng.below(5) {
            0 if !self.publications[pi].1.contains(&table) => {
                self.publications[pi].1.push(table);
                format!("ALTER PUBLICATION {} ADD TABLE {tq}", q(&name))
            }
            1 if !self.publications[pi].1.is_empty() => {
                let gone = self.publications[pi].1.remove(0);
                let t = self.tables.iter().find(|t| t.name == gone)?;
                format!("ALTER PUBLICATION {} DROP TABLE {}", q(&name), t.q())
            }
            2 => {
                let publish = [
                    "insert",
                    "update, delete",
                    "insert, update, delete, truncate",
                ][rng.below(3)];
                format!("ALTER PUBLICATION {} SET (publish = '{publish}')", q(&name))
            }
            3 => {
                let new = self.fresh("pub", rng);
                self.publications[pi].0.clone_from(&new);
                format!("ALTER PUBLICATION {} RENAME TO {}", q(&name), q(&new))
            }
            _ => {
                self.publications.remove(pi);
                format!("DROP PUBLICATION {}", q(&name))
            }
        })
    }
}
