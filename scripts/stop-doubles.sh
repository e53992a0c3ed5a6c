#!/usr/bin/env bash
# Stop the test doubles and the JupyterHub started by scripts/start-doubles.sh.
set -euo pipefail
state=$(cd "$(dirname "$0")/.." && pwd)/output/sandbox/doubles
for name in k8s-api awx-api hub; do
  if [[ -f "$state/$name.pid" ]]; then
    kill "$(cat "$state/$name.pid")" 2>/dev/null || true
    rm -f "$state/$name.pid"
  fi
done
