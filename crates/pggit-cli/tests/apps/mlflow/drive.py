"""Replay MLflow's tracking-store schema history the way it reaches a team's
database, for pggit's real-application test (tests/apps.rs): MLflow's
initial tables (what `mlflow server` creates first), then each of its
Alembic revisions in order (`alembic upgrade <revision>`), with `pggit
commit` after every step and `pg_dump --schema-only` of the database saved
as STEP.sql in the output folder. Also saves the `alembic_version` rows as
STEP.rows.

Environment: PGGIT_APP_URL (SQLAlchemy URL of the database), PGGIT_BIN (the
pggit binary), PGGIT_PG_DUMP (pg_dump), PGGIT_OUT (folder),
PGGIT_DATABASE_URL (for pggit and pg_dump), PGGIT_APP_STEPS (stop after
this many revisions; 0 or unset: all). Prints one line per step:
`STEP<TAB>revision<TAB>commit id`.
"""
import json
import os
import subprocess
import sys

import sqlalchemy
from alembic import command
from alembic.script import ScriptDirectory
from mlflow.store.db.utils import _get_alembic_config
from mlflow.store.tracking.dbmodels.initial_models import Base as InitialBase

out = os.environ["PGGIT_OUT"]
pggit = os.environ["PGGIT_BIN"]
pg_dump = os.environ["PGGIT_PG_DUMP"]
url = os.environ["PGGIT_DATABASE_URL"]
app_url = os.environ["PGGIT_APP_URL"]
limit = int(os.environ.get("PGGIT_APP_STEPS") or "0")

engine = sqlalchemy.create_engine(app_url, poolclass=sqlalchemy.pool.NullPool)
step = 0


def commit(label):
    global step
    r = subprocess.run([pggit, "commit", "-m", f"mlflow: {label}", "--json"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"pggit commit after {label} failed ({r.returncode}): {r.stderr}")
    step += 1
    dump = subprocess.run([pg_dump, "--schema-only", "--no-owner", "--exclude-schema=pggit", "--dbname", url],
                          capture_output=True, text=True, check=True).stdout
    with open(os.path.join(out, f"{step}.sql"), "w") as f:
        f.write(dump)
    with engine.connect() as c:
        present = c.execute(sqlalchemy.text("SELECT to_regclass('public.alembic_version') IS NOT NULL")).scalar()
        rows = []
        if present:
            rows = [r[0] for r in c.execute(sqlalchemy.text("SELECT version_num FROM public.alembic_version ORDER BY 1"))]
    with open(os.path.join(out, f"{step}.rows"), "w") as f:
        f.write("".join(r + "\n" for r in rows))
    print(f"{step}\t{label}\t{json.loads(r.stdout)['commit']['id']}", flush=True)


InitialBase.metadata.create_all(engine)
commit("initial tables")
config = _get_alembic_config(app_url)
revisions = list(reversed(list(ScriptDirectory.from_config(config).walk_revisions("base", "heads"))))
for n, rev in enumerate(revisions):
    if limit and n >= limit:
        break
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, rev.revision)
    commit(rev.revision)
