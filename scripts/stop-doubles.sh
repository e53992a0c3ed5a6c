#!/usr/bin/env bash
# Stop the test doubles and the JupyterHub started by scripts/start-doubles.sh, and wait until each
# has exited: the hub's wrapper stops the hub, its proxy and its user servers on the way out.
set -euo pipefail
state=$(cd "$(dirname "$0")/.." && pwd)/output/sandbox/doubles
for name in k8s-api awx-api hub; do
  if [[ -f "$state/$name.pid" ]]; then
    pid=$(cat "$state/$name.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$state/$name.pid"
  fi
done
