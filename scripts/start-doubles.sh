#!/usr/bin/env bash
# Start the services that the main job's sandbox runs need, on loopback ports:
#   - the Kubernetes API double (tests/doubles/k8s_api.py, a double, not Kubernetes) on 127.0.0.1:18443,
#     which also receives Wake-on-LAN packets on UDP 127.0.0.1:19009;
#   - the AWX REST API double (tests/doubles/awx_api.py, a double, not AWX) on 127.0.0.1:18052;
#   - a real JupyterHub (tests/real_hub.py) on 127.0.0.1:18300 with the jupyterhub-announcement
#     service and a running server for the sandbox user student01, whose user pod the Kubernetes
#     double places on ws-a01, so the hand-back's notices reach a real hub.
# All stop with scripts/stop-doubles.sh. PID files and logs go to output/sandbox/doubles/.
# Writes output/sandbox/doubles/awx-secrets.yml (mode 0600): the sandbox's AWX credential secrets,
# passed to playbooks/awx.yml with -e @FILE.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
state=output/sandbox/doubles
mkdir -p "$state"
scripts/stop-doubles.sh >/dev/null 2>&1 || true

wait_for_port() {
  local port=$1 name=$2 log=$3
  for _ in $(seq 1 60); do
    if .venv/bin/python -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; then
      return 0
    fi
    sleep 1
  done
  echo "the $name did not listen on 127.0.0.1:$port within 60 s; see $log" >&2
  return 1
}

# The hub starts first because it takes longest; its token file appears when student01's server is up.
rm -rf output/sandbox/hub
nohup .venv/bin/python -m tests.real_hub --directory output/sandbox/hub --port 18300 --users student01 \
  >"$state/hub.log" 2>&1 &
echo $! >"$state/hub.pid"

nohup .venv/bin/python -m tests.doubles.k8s_api --port 18443 --wol-port 19009 \
  --kubeconfig output/sandbox/k8s-double/kubeconfig --inventory inventories/sandbox \
  >"$state/k8s-api.log" 2>&1 &
echo $! >"$state/k8s-api.pid"

# The AWX double's admin password is the sandbox vault's vault_awx_admin_password. vault.yml contains
# one inline !vault value per key, so Ansible decrypts that value, and its JSON callback output is parsed.
awx_password=$(ANSIBLE_LOAD_CALLBACK_PLUGINS=true ANSIBLE_STDOUT_CALLBACK=ansible.posix.json \
  ANSIBLE_CALLBACKS_ENABLED=ansible.posix.json \
  .venv/bin/ansible localhost -i inventories/sandbox -m ansible.builtin.debug -a 'msg={{ vault_awx_admin_password }}' |
  .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["plays"][0]["tasks"][0]["hosts"]["localhost"]["msg"])')
AWX_DOUBLE_PASSWORD=$awx_password nohup .venv/bin/python tests/doubles/awx_api.py --port 18052 --project-dir . \
  >"$state/awx-api.log" 2>&1 &
echo $! >"$state/awx-api.pid"

wait_for_port 18443 "Kubernetes API double" "$state/k8s-api.log"
wait_for_port 18052 "AWX API double" "$state/awx-api.log"
for _ in $(seq 1 120); do
  [[ -s output/sandbox/hub/switch-token ]] && break
  sleep 1
done
if [[ ! -s output/sandbox/hub/switch-token ]]; then
  echo "JupyterHub did not start student01's server within 120 s; see $state/hub.log" >&2
  exit 1
fi

# student01's user pod, annotated as KubeSpawner annotates it, on the sandbox workstation ws-a01.
.venv/bin/python - <<'PY'
import kubernetes

client = kubernetes.config.new_client_from_config(config_file="output/sandbox/k8s-double/kubeconfig")
pod = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "jupyter-student01",
        "labels": {"component": "singleuser-server", "hub.jupyter.org/username": "student01"},
        "annotations": {"hub.jupyter.org/username": "student01"},
    },
    "spec": {"nodeName": "ws-a01", "containers": [{"name": "notebook", "image": "jupyter/base-notebook"}]},
}
kubernetes.client.CoreV1Api(client).create_namespaced_pod("default", pod)
PY

# AWX credentials of the sandbox: the sandbox SSH key, this controller's vault password and the
# Kubernetes double's token, so no secret is typed or stored in the repository.
umask 077
.venv/bin/python - "$state/awx-secrets.yml" <<'PY'
import sys
from pathlib import Path

import yaml

home = Path.home()
kubeconfig = yaml.safe_load(Path("output/sandbox/k8s-double/kubeconfig").read_text(encoding="utf-8"))
secrets = {
    "vault_awx_machine_ssh_key": (home / ".local/state/labshift/sandbox/id_ed25519").read_text(encoding="utf-8"),
    "vault_awx_vault_password": (home / ".config/labshift/vault-pass").read_text(encoding="utf-8").strip(),
    "vault_awx_kubernetes_bearer_token": kubeconfig["users"][0]["user"]["token"],
}
Path(sys.argv[1]).write_text(yaml.safe_dump(secrets), encoding="utf-8")
PY
echo "running: Kubernetes API double http://127.0.0.1:18443, AWX API double http://127.0.0.1:18052," \
  "JupyterHub http://127.0.0.1:18300"
