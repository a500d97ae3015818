//! Aggregates (`CREATE AGGREGATE`), read into [`Object::Function`] with
//! routine `aggregate`. PostgreSQL has no deparser for them: the definition
//! is put together from `pg_aggregate`, every option written out (so a
//! replay sets exactly what the catalog holds), in the order the
//! documentation lists them.

use pggit_core::model::Object;
use postgres::GenericClient;

use super::{opt, Reader};
use crate::PgError;

/// One `name = value` option of `CREATE AGGREGATE` per non-null column.
const QUERY: &str = "
SELECT p.oid, n.nspname::text, p.proname::text, n.oid,
       pg_get_function_identity_arguments(p.oid), pg_get_function_arguments(p.oid),
       pg_get_function_result(p.oid), obj_description(p.oid, 'pg_proc'),
       concat_ws(', ',
         'SFUNC = ' || a.aggtransfn::regproc::text,
         'STYPE = ' || format_type(a.aggtranstype, NULL),
         CASE WHEN a.aggtransspace <> 0 THEN 'SSPACE = ' || a.aggtransspace END,
         CASE WHEN a.aggfinalfn <> 0 THEN 'FINALFUNC = ' || a.aggfinalfn::regproc::text END,
         CASE WHEN a.aggfinalextra THEN 'FINALFUNC_EXTRA' END,
         CASE WHEN a.aggfinalfn <> 0 THEN 'FINALFUNC_MODIFY = '
           || CASE a.aggfinalmodify WHEN 'r' THEN 'READ_ONLY' WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END END,
         CASE WHEN a.aggcombinefn <> 0 THEN 'COMBINEFUNC = ' || a.aggcombinefn::regproc::text END,
         CASE WHEN a.aggserialfn <> 0 THEN 'SERIALFUNC = ' || a.aggserialfn::regproc::text END,
         CASE WHEN a.aggdeserialfn <> 0 THEN 'DESERIALFUNC = ' || a.aggdeserialfn::regproc::text END,
         CASE WHEN a.agginitval IS NOT NULL THEN 'INITCOND = ' || quote_literal(a.agginitval) END,
         CASE WHEN a.aggmtransfn <> 0 THEN 'MSFUNC = ' || a.aggmtransfn::regproc::text END,
         CASE WHEN a.aggminvtransfn <> 0 THEN 'MINVFUNC = ' || a.aggminvtransfn::regproc::text END,
         CASE WHEN a.aggmtranstype <> 0 THEN 'MSTYPE = ' || format_type(a.aggmtranstype, NULL) END,
         CASE WHEN a.aggmtransspace <> 0 THEN 'MSSPACE = ' || a.aggmtransspace END,
         CASE WHEN a.aggmfinalfn <> 0 THEN 'MFINALFUNC = ' || a.aggmfinalfn::regproc::text END,
         CASE WHEN a.aggmfinalextra THEN 'MFINALFUNC_EXTRA' END,
         CASE WHEN a.aggmfinalfn <> 0 THEN 'MFINALFUNC_MODIFY = '
           || CASE a.aggmfinalmodify WHEN 'r' THEN 'READ_ONLY' WHEN 's' THEN 'SHAREABLE' ELSE 'READ_WRITE' END END,
         CASE WHEN a.aggminitval IS NOT NULL THEN 'MINITCOND = ' || quote_literal(a.aggminitval) END,
         CASE WHEN a.aggsortop <> 0 THEN 'SORTOP = OPERATOR(' || o.nspname::text || '.' || o.oprname::text || ')' END,
         CASE p.proparallel WHEN 's' THEN 'PARALLEL = SAFE' WHEN 'r' THEN 'PARALLEL = RESTRICTED' END,
         CASE WHEN a.aggkind = 'h' THEN 'HYPOTHETICAL' END)
  FROM pg_catalog.pg_proc p
  JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
  JOIN pg_catalog.pg_aggregate a ON a.aggfnoid = p.oid
  LEFT JOIN (SELECT o.oid, o.oprname, s.nspname FROM pg_catalog.pg_operator o
               JOIN pg_catalog.pg_namespace s ON s.oid = o.oprnamespace) o ON o.oid = a.aggsortop
 WHERE p.pronamespace = ANY($1) AND p.prokind = 'a'
 ORDER BY p.oid";

impl<C: GenericClient> Reader<'_, C> {
    pub(super) fn aggregates(&mut self, nsps: &[u32]) -> Result<(), PgError> {
        for row in self.tx.query(QUERY, &[&nsps])? {
            let oid: u32 = row.get(0);
            if self.member("pg_proc", oid) {
                continue;
            }
            let nsp: u32 = row.get(3);
            // An aggregate without arguments is written `name(*)`.
            let star = |s: String| if s.is_empty() { "*".to_string() } else { s };
            let identity_args = star(row.get(4));
            let args = star(row.get(5));
            let options: String = row.get(8);
            self.add(
                format!("proc:{oid}"),
                Object::Function {
                    schema: row.get(1),
                    name: row.get(2),
                    routine: "aggregate".to_string(),
                    identity_args,
                    result: opt(&row, 6),
                    definition: format!("{args}) ({options})"),
                    comment: opt(&row, 7),
                },
                vec![format!("nsp:{nsp}")],
            );
        }
        Ok(())
    }
}
