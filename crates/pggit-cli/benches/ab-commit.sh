#!/usr/bin/env bash
# A/B of two pggit binaries on one database: commit (after one ADD COLUMN and
# one CREATE INDEX, binaries alternating), pg_dump --schema-only each round,
# then `diff A B --sql` between two commits, and `status` with each binary
# (both must see no change: the same snapshot).
#
# Usage: ab-commit.sh URL OLD_PGGIT NEW_PGGIT [ROUNDS] [COMMIT_A COMMIT_B]
# URL: a database kept by `PGGIT_BENCH_KEEP=1 cargo bench -p pggit-cli --bench
# foundation` (it prints the name and two commit ids).
set -euo pipefail
url=$1; old=$2; new=$3; rounds=${4:-5}; a=${5:-}; b=${6:-}
ms() { echo $(( ($2 - $1) / 1000000 )); }
for r in $(seq 1 "$rounds"); do
  for which in old new; do
    bin=$old; [ "$which" = new ] && bin=$new
    psql -q "$url" -c "ALTER TABLE app1.t$r ADD COLUMN ab_${which}_$r int; CREATE INDEX ON app2.t$r (id)" >/dev/null
    t0=$(date +%s%N); "$bin" --db "$url" commit -m "ab $which $r" >/dev/null; t1=$(date +%s%N)
    echo "commit $which $(ms "$t0" "$t1")"
  done
  t0=$(date +%s%N); pg_dump --schema-only -d "$url" >/dev/null; t1=$(date +%s%N)
  echo "pg_dump - $(ms "$t0" "$t1")"
done
if [ -n "$a" ]; then
  for i in $(seq 1 9); do
    for which in old new; do
      bin=$old; [ "$which" = new ] && bin=$new
      t0=$(date +%s%N); "$bin" --db "$url" diff "$a" "$b" --sql >/dev/null; t1=$(date +%s%N)
      echo "diff $which $(ms "$t0" "$t1")"
    done
  done
fi
for which in old new; do
  bin=$old; [ "$which" = new ] && bin=$new
  echo "status $which: $("$bin" --db "$url" status --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["changes"]), "changes")')"
done
