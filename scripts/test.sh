#!/usr/bin/env bash
# Run every LabShift test: lint (ruff, mypy, yamllint, ansible-lint), then pytest over unit,
# integration, Docker sandbox and molecule tests. Installs what it needs first (scripts/install.sh).
#
#   scripts/test.sh            everything
#   scripts/test.sh --fast     lint and the tests that need neither Docker nor molecule
#   scripts/test.sh -- ARGS    extra pytest arguments, e.g. -- -k planner
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

fast=0
pytest_args=()
while (($#)); do
  case "$1" in
    --fast) fast=1 ;;
    --) shift; pytest_args+=("$@"); break ;;
    *) echo "unknown option: $1 (use --fast or -- PYTEST_ARGS)" >&2; exit 2 ;;
  esac
  shift
done

if ((fast)); then
  LABSHIFT_SKIP_DOCKER=1 scripts/install.sh
else
  scripts/install.sh
fi
export PATH="$repo/.venv/bin:$PATH"
export ANSIBLE_CONFIG="$repo/ansible.cfg"

section() { printf '\n==== %s ====\n' "$1"; }

section "ruff"
ruff check .
section "mypy"
mypy plugins tests benchmarks
section "yamllint"
yamllint --strict .
section "ansible-lint (production profile)"
ansible-lint --offline --profile production

section "pytest"
if ((fast)); then
  pytest_args+=(-m "not docker")
fi
# pytest is the last step, so its closing summary line is the last line of the run.
exec pytest -p no:cacheprovider "${pytest_args[@]}"
