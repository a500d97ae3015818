//! Table inheritance (`CREATE TABLE ... INHERITS`, `ALTER TABLE ... INHERIT
//! / NO INHERIT`) and what changes of a parent do to the tables inheriting
//! from it: PostgreSQL applies column additions, drops, renames, type,
//! default and NOT NULL changes and CHECK constraints to them as well.
//! Typed tables (`CREATE TABLE ... OF type`, `OF` / `NOT OF`) and what
//! `ALTER TYPE ... CASCADE` does to them. Run on every server.

use super::Case;

const BASE: &str = "CREATE TABLE public.base (id int NOT NULL, v text DEFAULT 'x', CONSTRAINT v_not_empty CHECK (v <> ''));";
const CHILD: &str = "CREATE TABLE public.base (id int NOT NULL, v text DEFAULT 'x', CONSTRAINT v_not_empty CHECK (v <> '')); CREATE TABLE public.child (extra int) INHERITS (public.base); COMMENT ON COLUMN public.child.v IS 'inherited';";
const MERGED: &str = "CREATE TABLE public.base (id int NOT NULL, v text DEFAULT 'x'); CREATE TABLE public.child (v text DEFAULT 'own', extra int) INHERITS (public.base);";
const TWO: &str = "CREATE TABLE public.a (x text, id int); CREATE TABLE public.b (id int, y text); CREATE TABLE public.c (z int) INHERITS (public.a, public.b);";
const LEVELS: &str = "CREATE TABLE public.l1 (id int PRIMARY KEY); CREATE TABLE public.l2 (n int) INHERITS (public.l1); CREATE TABLE public.l3 (m int) INHERITS (public.l2);";

#[rustfmt::skip]
pub const INHERITANCE: &[Case] = &[
    Case { name: "inh_create_child", a: BASE, change: "CREATE TABLE public.child (extra int) INHERITS (public.base);" },
    Case { name: "inh_create_child_no_own_columns", a: BASE, change: "CREATE TABLE public.child () INHERITS (public.base);" },
    Case { name: "inh_create_child_merged_column", a: BASE, change: "CREATE TABLE public.child (id int NOT NULL, note text) INHERITS (public.base);" },
    Case { name: "inh_create_child_own_default", a: BASE, change: "CREATE TABLE public.child (extra int) INHERITS (public.base); ALTER TABLE public.child ALTER COLUMN v SET DEFAULT 'child';" },
    Case { name: "inh_create_child_drop_inherited_default", a: BASE, change: "CREATE TABLE public.child (extra int) INHERITS (public.base); ALTER TABLE public.child ALTER COLUMN v DROP DEFAULT;" },
    Case { name: "inh_create_child_own_not_null", a: BASE, change: "CREATE TABLE public.child (extra int) INHERITS (public.base); ALTER TABLE public.child ALTER COLUMN v SET NOT NULL;" },
    Case { name: "inh_create_two_parents", a: "CREATE TABLE public.a (id int, x text); CREATE TABLE public.b (id int, y text);", change: "CREATE TABLE public.c (z int) INHERITS (public.a, public.b);" },
    Case { name: "inh_drop_child", a: CHILD, change: "DROP TABLE public.child;" },
    Case { name: "inh_drop_child_with_foreign_key", a: "CREATE TABLE public.base (id int NOT NULL, CONSTRAINT id_pos CHECK (id > 0)); CREATE TABLE public.ref (id int PRIMARY KEY); CREATE TABLE public.child (ref_id int REFERENCES public.ref, CONSTRAINT id_pos CHECK (id > 0)) INHERITS (public.base);", change: "DROP TABLE public.child; DROP TABLE public.ref;" },
    Case { name: "inh_parent_add_column", a: CHILD, change: "ALTER TABLE public.base ADD COLUMN z int DEFAULT 5 NOT NULL;" },
    Case { name: "inh_parent_add_column_child_has_it", a: CHILD, change: "ALTER TABLE public.child ADD COLUMN z int; ALTER TABLE public.base ADD COLUMN z int;" },
    Case { name: "inh_parent_drop_column", a: CHILD, change: "ALTER TABLE public.base DROP COLUMN v;" },
    Case { name: "inh_parent_drop_merged_column", a: MERGED, change: "ALTER TABLE public.base DROP COLUMN v;" },
    Case { name: "inh_parent_rename_column", a: CHILD, change: "ALTER TABLE public.base RENAME COLUMN v TO label;" },
    Case { name: "inh_parent_alter_type", a: CHILD, change: "ALTER TABLE public.base ALTER COLUMN id TYPE bigint;" },
    Case { name: "inh_parent_set_default", a: CHILD, change: "ALTER TABLE public.base ALTER COLUMN v SET DEFAULT 'y';" },
    Case { name: "inh_parent_only_set_default", a: CHILD, change: "ALTER TABLE ONLY public.base ALTER COLUMN v SET DEFAULT 'y';" },
    Case { name: "inh_parent_set_not_null", a: CHILD, change: "ALTER TABLE public.base ALTER COLUMN v SET NOT NULL;" },
    Case { name: "inh_parent_add_check", a: CHILD, change: "ALTER TABLE public.base ADD CONSTRAINT id_pos CHECK (id > 0);" },
    Case { name: "inh_parent_add_check_no_inherit", a: CHILD, change: "ALTER TABLE public.base ADD CONSTRAINT id_pos CHECK (id > 0) NO INHERIT;" },
    Case { name: "inh_parent_drop_check", a: CHILD, change: "ALTER TABLE public.base DROP CONSTRAINT v_not_empty;" },
    Case { name: "inh_child_merged_check", a: BASE, change: "CREATE TABLE public.child (extra int, CONSTRAINT v_not_empty CHECK (v <> '')) INHERITS (public.base);" },
    Case { name: "inh_no_inherit", a: CHILD, change: "ALTER TABLE public.child NO INHERIT public.base;" },
    Case { name: "inh_no_inherit_and_drop_parent", a: CHILD, change: "ALTER TABLE public.child NO INHERIT public.base; DROP TABLE public.base;" },
    Case { name: "inh_inherit_existing_table", a: "CREATE TABLE public.base (id int NOT NULL, v text, CONSTRAINT v_not_empty CHECK (v <> '')); CREATE TABLE public.other (extra int, id int NOT NULL, v text);", change: "ALTER TABLE public.other ADD CONSTRAINT v_not_empty CHECK (v <> ''); ALTER TABLE public.other INHERIT public.base;" },
    Case { name: "inh_new_parent_and_child_of_existing", a: "CREATE TABLE public.t (id int);", change: "CREATE TABLE public.p (id int); ALTER TABLE public.t INHERIT public.p;" },
    Case { name: "inh_second_parent", a: TWO, change: "ALTER TABLE public.c NO INHERIT public.b;" },
    Case { name: "inh_two_parents_drop_shared_column", a: TWO, change: "ALTER TABLE public.a DROP COLUMN id;" },
    Case { name: "inh_three_levels_add_column", a: LEVELS, change: "ALTER TABLE public.l1 ADD COLUMN created date DEFAULT '2026-01-01';" },
    Case { name: "inh_three_levels_rename_middle", a: LEVELS, change: "ALTER TABLE public.l2 RENAME TO middle; ALTER TABLE public.middle RENAME COLUMN n TO count;" },
    Case { name: "inh_parent_renamed_and_moved", a: CHILD, change: "CREATE SCHEMA arc; ALTER TABLE public.base RENAME TO archive_base; ALTER TABLE public.archive_base SET SCHEMA arc;" },
    Case { name: "inh_column_added_after_own_columns", a: CHILD, change: "ALTER TABLE public.base ADD COLUMN late int; ALTER TABLE public.child ADD COLUMN later int;" },
    Case { name: "inh_child_index_and_key", a: CHILD, change: "ALTER TABLE public.child ADD PRIMARY KEY (id); CREATE INDEX child_v ON public.child (v);" },
    Case { name: "inh_hostile_names", a: "CREATE SCHEMA \"a\"\"; drop table x; --\";", change: "CREATE TABLE \"a\"\"; drop table x; --\".\"pärent\" (\"ïd\" int); CREATE TABLE \"a\"\"; drop table x; --\".\"child \"\" x\" (note text) INHERITS (\"a\"\"; drop table x; --\".\"pärent\");" },
];

const PT: &str = "CREATE TYPE public.pt AS (x int, y text);";
const TYPED: &str = "CREATE TYPE public.pt AS (x int, y text); CREATE TABLE public.points OF public.pt (PRIMARY KEY (x), y WITH OPTIONS DEFAULT 'a');";

#[rustfmt::skip]
pub const TYPED_TABLES: &[Case] = &[
    Case { name: "typed_create", a: PT, change: "CREATE TABLE public.points OF public.pt;" },
    Case { name: "typed_create_with_options", a: PT, change: "CREATE TABLE public.points OF public.pt (PRIMARY KEY (x), y WITH OPTIONS DEFAULT 'a' NOT NULL);" },
    Case { name: "typed_create_type_and_table", a: "CREATE TABLE public.keep (id int);", change: TYPED },
    Case { name: "typed_drop_table", a: TYPED, change: "DROP TABLE public.points;" },
    Case { name: "typed_add_attribute", a: TYPED, change: "ALTER TYPE public.pt ADD ATTRIBUTE z numeric CASCADE;" },
    Case { name: "typed_drop_attribute", a: TYPED, change: "ALTER TYPE public.pt DROP ATTRIBUTE y CASCADE;" },
    Case { name: "typed_rename_attribute", a: TYPED, change: "ALTER TYPE public.pt RENAME ATTRIBUTE y TO label CASCADE;" },
    Case { name: "typed_alter_attribute_type", a: TYPED, change: "ALTER TYPE public.pt ALTER ATTRIBUTE x TYPE bigint CASCADE;" },
    Case { name: "typed_rename_type", a: TYPED, change: "ALTER TYPE public.pt RENAME TO point_t;" },
    Case { name: "typed_column_default_and_not_null", a: TYPED, change: "ALTER TABLE public.points ALTER COLUMN y SET DEFAULT 'b'; ALTER TABLE public.points ALTER COLUMN y SET NOT NULL;" },
    Case { name: "typed_column_comment_and_index", a: TYPED, change: "COMMENT ON COLUMN public.points.y IS 'label'; CREATE INDEX points_y ON public.points (y);" },
    Case { name: "typed_not_of_then_add_column", a: TYPED, change: "ALTER TABLE public.points NOT OF; ALTER TABLE public.points ADD COLUMN extra int;" },
    Case { name: "typed_of_after_drop_column", a: "CREATE TYPE public.pt AS (x int, y text); CREATE TABLE public.points (x int, y text, extra int);", change: "ALTER TABLE public.points DROP COLUMN extra; ALTER TABLE public.points OF public.pt;" },
];
