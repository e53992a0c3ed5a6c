#!/usr/bin/env bash
# Install everything LabShift needs on a fresh Debian 12 controller, idempotently:
# Debian packages, a Python virtualenv with the pinned packages (which carry the pinned Ansible
# collections), JupyterHub's configurable-http-proxy, a running Docker engine and the sandbox base image.
# Set LABSHIFT_SKIP_DOCKER=1 to skip the Docker engine and the sandbox image.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

apt_packages=(
  python3 python3-venv python3-dev gcc git openssh-client
  docker.io debootstrap  # sandbox and molecule hosts
  systemd                # systemd-analyze checks the generated timer units
  docker-registry        # a real OCI registry standing in for Harbor in the mirror tests
)
missing=()
for package in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
# npm installs configurable-http-proxy for the local JupyterHub of the tests and the sandbox. A
# Node.js from another source (such as NodeSource) ships its own npm, which Debian's npm conflicts with.
if ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if ((${#missing[@]})); then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Daemons from these packages are started by the tests on their own ports, not by the package.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

python=${LABSHIFT_PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$python" -m venv .venv
fi
stamp=.venv/.labshift-requirements
if [[ ! -f "$stamp" ]] || ! cmp -s <(cat requirements.txt constraints.txt) "$stamp"; then
  .venv/bin/pip install -q -r requirements.txt -c constraints.txt
  cat requirements.txt constraints.txt > "$stamp"
fi

# JupyterHub's proxy, at the versions locked in files/hub/package-lock.json.
node_dir=.venv/node
if ! cmp -s files/hub/package-lock.json "$node_dir/package-lock.json" \
    || [[ ! -x "$node_dir/node_modules/.bin/configurable-http-proxy" ]]; then
  mkdir -p "$node_dir"
  cp files/hub/package.json files/hub/package-lock.json "$node_dir/"
  (cd "$node_dir" && npm ci --no-audit --no-fund --silent)
fi

if [[ "${LABSHIFT_SKIP_DOCKER:-0}" != 1 ]]; then
  scripts/start-docker.sh
  files/sandbox/build-base-image.sh
fi
echo "LabShift installed in $repo/.venv"
