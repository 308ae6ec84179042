#!/usr/bin/env bash
# Fills a local data directory with the demo neighbourhood (once) and shows it.
set -euo pipefail

dir=${1:?usage: run-demo.sh DATA_DIR}
porchlight() { "$(dirname "$0")/../target/debug/porchlight" --data-dir "$dir" "$@"; }

if ! porchlight --json whoami | grep -q '"group": {'; then
    echo "Creating the demo neighbourhood in $dir ..."
    porchlight init --name "Demo Coordinator" >/dev/null
    porchlight demo
fi
echo
porchlight whoami
echo
porchlight stats
echo
echo "Latest live alerts:"
porchlight alert list | head -n 10
echo
echo "Recent patrols:"
porchlight patrol list --limit 5
echo
echo "Try: target/debug/porchlight --data-dir $dir report list --status new"
