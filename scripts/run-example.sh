#!/usr/bin/env bash
# LabShift main job on the bundled example, for a fresh Debian 12 machine (run as root):
#   1. install everything (scripts/install.sh);
#   2. validate the example inventory and plan its semester, presets and capacity;
#   3. create the sandbox lab (systemd containers reached over SSH on loopback ports);
#   4. run playbooks/site.yml against the sandbox twice, and fail unless the second run changes nothing;
#   5. run the switch jobs and the AWX set-up against the sandbox with the Kubernetes and AWX API
#      doubles on loopback;
#   6. print where the outputs are and what converged.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
scripts/install.sh
export PATH="$repo/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$repo/ansible.cfg"
export ANSIBLE_FORCE_COLOR=${ANSIBLE_FORCE_COLOR:-0}

logs="$repo/output/logs"
mkdir -p "$logs"
summary=()

# Run a playbook, keep its log, and remember the PLAY RECAP totals for the summary.
run_playbook() {
  local label=$1
  shift
  local log="$logs/$label.log"
  echo "==> $label: ansible-playbook $*"
  if ! ansible-playbook "$@" 2>&1 | tee "$log"; then
    echo "FAILED: $label (log: $log)" >&2
    exit 1
  fi
  local totals
  totals=$(awk '/^PLAY RECAP/ {recap = 1; next}
                recap && /ok=/ {for (i = 1; i <= NF; i++) if ($i ~ /^(ok|changed|failed|unreachable)=/) {split($i, kv, "="); sum[kv[1]] += kv[2]}}
                END {printf "ok=%d changed=%d failed=%d unreachable=%d", sum["ok"], sum["changed"], sum["failed"], sum["unreachable"]}' "$log")
  summary+=("$label: $totals")
  LAST_CHANGED=$(sed -n 's/.*changed=\([0-9]*\).*/\1/p' <<<"$totals")
}

example=(-i inventories/example)
sandbox=(-i inventories/sandbox)

run_playbook secrets-example "${example[@]}" playbooks/secrets.yml
run_playbook preflight-example "${example[@]}" playbooks/preflight.yml
run_playbook plan-example "${example[@]}" playbooks/plan.yml
run_playbook presets-example "${example[@]}" playbooks/presets.yml

run_playbook sandbox-create "${sandbox[@]}" playbooks/sandbox.yml
run_playbook secrets-sandbox "${sandbox[@]}" playbooks/secrets.yml
run_playbook site-sandbox-1 "${sandbox[@]}" playbooks/site.yml
run_playbook site-sandbox-2 "${sandbox[@]}" playbooks/site.yml
if [[ "$LAST_CHANGED" != 0 ]]; then
  echo "FAILED: the second run of site.yml against the sandbox changed $LAST_CHANGED tasks (log: $logs/site-sandbox-2.log)" >&2
  exit 1
fi

scripts/start-doubles.sh
trap scripts/stop-doubles.sh EXIT
run_playbook switch-to-platform "${sandbox[@]}" playbooks/switch.yml -e labshift_switch_direction=platform
run_playbook switch-to-teaching "${sandbox[@]}" playbooks/switch.yml -e labshift_switch_direction=teaching
run_playbook awx-sandbox "${sandbox[@]}" playbooks/awx.yml -e @output/sandbox/doubles/awx-secrets.yml

echo
echo "LabShift main job finished. Outputs:"
echo "  example plan, announcement and schedules: $repo/output/example/plan/"
echo "  example presets, quotas and capacity:      $repo/output/example/presets/"
echo "  sandbox outputs and switch reports:        $repo/output/sandbox/"
echo "  hand-back notice in a real JupyterHub:     $repo/output/sandbox/hub/home/student01/LabShift-room-closing.txt"
echo "  playbook logs:                             $logs/"
echo "Converged (PLAY RECAP totals):"
printf '  %s\n' "${summary[@]}"
