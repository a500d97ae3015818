"""Replay a Django project's migrations the way a team does, for pggit's
real-application test (tests/apps.rs): migrate one app at a time (with the
migrations it depends on) and after each app run `pggit commit` and save
`pg_dump --schema-only` of the database as STEP.sql in the output folder.

Also saves the applied migrations (`app name` per line, sorted) as STEP.rows.

Environment: PGGIT_APP_DB (database), PGGIT_BIN (the pggit binary),
PGGIT_PG_DUMP (pg_dump), PGGIT_OUT (folder), PGGIT_DATABASE_URL (for pggit).
Prints one line per step: `STEP<TAB>app<TAB>commit id`.
"""
import json
import os
import subprocess
import sys

import django
from django.core.management import call_command

django.setup()
from django.apps import apps  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.migrations.loader import MigrationLoader  # noqa: E402

out = os.environ["PGGIT_OUT"]
pggit = os.environ["PGGIT_BIN"]
pg_dump = os.environ["PGGIT_PG_DUMP"]
url = os.environ["PGGIT_DATABASE_URL"]

loader = MigrationLoader(connection)
labels = [a.label for a in apps.get_app_configs() if a.label in loader.migrated_apps]
step = 0
for label in labels:
    before = subprocess.run([pggit, "log", "-n", "1", "--json"], capture_output=True, text=True, check=True).stdout
    call_command("migrate", label, verbosity=0, interactive=False)
    connection.close()
    r = subprocess.run([pggit, "commit", "-m", f"migrate {label}", "--json"], capture_output=True, text=True)
    if r.returncode == 1:
        continue  # nothing new (already migrated as a dependency)
    if r.returncode != 0:
        sys.exit(f"pggit commit after {label} failed ({r.returncode}): {r.stderr}")
    commit = json.loads(r.stdout)["commit"]["id"]
    step += 1
    dump = subprocess.run([pg_dump, "--schema-only", "--no-owner", "--exclude-schema=pggit", "--dbname", url],
                          capture_output=True, text=True, check=True).stdout
    with open(os.path.join(out, f"{step}.sql"), "w") as f:
        f.write(dump)
    with connection.cursor() as cur:
        cur.execute("SELECT app || ' ' || name FROM public.django_migrations ORDER BY 1")
        rows = [r[0] for r in cur.fetchall()]
    connection.close()
    with open(os.path.join(out, f"{step}.rows"), "w") as f:
        f.write("".join(r + "\n" for r in rows))
    print(f"{step}\t{label}\t{commit}", flush=True)
