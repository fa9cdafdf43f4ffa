#!/usr/bin/env bash
# The demo: install dependencies, build, generate a sales CSV, read it with the
# engine (exact splitting, dtype inference, parallel parse), query it on a local
# cluster through libddf, then run an example script with the ddf program.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh normal
mkdir -p out
rows=${ROWS:-200000}
if [ ! -s out/sales.csv ] || [ "$(head -c 200 out/sales.csv.rows 2>/dev/null)" != "$rows" ]; then
  build/bench/gen-sales --rows "$rows" --seed 1 --out out/sales.csv
  echo "$rows" > out/sales.csv.rows
fi
build/examples/ddf-csv-demo out/sales.csv --blocksize "${BLOCKSIZE:-1048576}"
# libddf end to end: a local cluster (Redis + 2 workers), count, head, filter + group-by
build/examples/ddf-example "$(realpath out/sales.csv)" --workers 2 --blocksize "${BLOCKSIZE:-1048576}"
# the ddf program: a pandas-style script on its own local cluster (paths are relative to
# the current directory, the repository root)
build/client/ddf examples/groupby.ddf
