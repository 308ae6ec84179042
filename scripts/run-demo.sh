#!/usr/bin/env bash
# Fills a local data directory with the demo neighbourhood (once), shows it, and opens the
# desktop app on it: on $DISPLAY when there is one, else under Xvfb.
#   run-demo.sh DATA_DIR [--fill-only]
set -euo pipefail

dir=${1:?usage: run-demo.sh DATA_DIR [--fill-only]}
root=$(cd "$(dirname "$0")/.." && pwd)
porchlight() { "$root/target/debug/porchlight" --data-dir "$dir" "$@"; }

if ! porchlight --json whoami | grep -q '"group": {'; then
    echo "Creating the demo neighbourhood in $dir ..."
    porchlight init --name "Demo Coordinator" >/dev/null
    porchlight demo
fi
# Demo data from before offline maps: give it its map too (drawn here, nothing downloaded).
if porchlight --json map status | grep -qx 'null'; then
    echo "Drawing the demo neighbourhood's map ..."
    pkg=$(mktemp --suffix=.mbtiles)
    porchlight map demo-package --out "$pkg" >/dev/null
    porchlight map import "$pkg"
    rm -f "$pkg"
fi
[ "${2:-}" = "--fill-only" ] && exit 0

echo
porchlight whoami
echo
porchlight stats
echo

app="$root/target/debug/porchlight-app"
export PORCHLIGHT_DATA_DIR="$dir"
if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
    echo "Opening Porchlight on $dir (close the window to stop)."
    exec "$app"
fi
echo "No display here, so Porchlight runs under Xvfb (stop it with Ctrl-C)."
echo "To see it, run in another terminal:  make screenshot   (saves target/screenshots/*.png)"
exec xvfb-run -a "$app"
