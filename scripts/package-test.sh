#!/usr/bin/env bash
# `make package-test`: builds both Debian packages from the debug build, installs them on this
# machine, and uses them as an operator, a coordinator and a member would:
#   1. `systemd-analyze verify` on the installed unit, then the unit's own ExecStart line run as
#      the porchlight user (systemd is not PID 1 in containers and CI, so it cannot start it);
#   2. the installed CLI creates a group on it over TLS (the fingerprint printed on install),
#      invites a member, who joins and syncs an alert back to the coordinator;
#   3. the installed app opens under Xvfb on a fresh profile: a screenshot of onboarding;
#   4. a downgrade of the server package is refused with nothing changed;
# then purges both packages and removes everything it made, also when a step fails.
# Runs as root (dpkg). Refuses to run where Porchlight packages are installed for real.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
artifacts=${PORCHLIGHT_E2E_ARTIFACTS:-$target/e2e-artifacts}
say() { printf 'package-test: %s\n' "$*"; }
fail() { printf 'package-test: FAILED: %s\n' "$*" >&2; exit 1; }
started=$(date +%s)

[ "$(id -u)" -eq 0 ] || fail "run as root: it installs and purges Debian packages"
for p in porchlight porchlight-server; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "installed"; then
        fail "$p is installed on this machine; the test would purge it. Remove it first."
    fi
done
had_user=false
getent passwd porchlight >/dev/null && had_user=true
[ -e /var/lib/porchlight ] && fail "/var/lib/porchlight exists; the test would remove it"

scratch=$(mktemp -d)
server_pid=""
cleanup() {
    local status=$?
    set +e
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid"
        wait "$server_pid" 2>/dev/null
    fi
    dpkg --purge porchlight porchlight-server >"$scratch/purge.log" 2>&1 ||
        cat "$scratch/purge.log" >&2
    rm -rf /var/lib/porchlight /etc/porchlight
    if ! $had_user && getent passwd porchlight >/dev/null; then
        userdel porchlight
        getent group porchlight >/dev/null && groupdel porchlight
    fi
    rm -rf "$scratch"
    if [ $status -ne 0 ]; then say "failed (everything installed was removed again)"; fi
    exit $status
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$root/scripts/package.sh" debug
packages="$target/packages/debug"
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$root/Cargo.toml")

say "installing"
dpkg -i "$packages/porchlight_${version}_amd64.deb" "$packages/porchlight-server_${version}_amd64.deb" \
    | tee "$scratch/install.log"
fingerprint=$(sed -n 's/^porchlight-server: TLS certificate SHA-256 fingerprint: //p' "$scratch/install.log")
[ -n "$fingerprint" ] || fail "the install printed no certificate fingerprint"
getent passwd porchlight >/dev/null || fail "no porchlight user after install"
[ -x /usr/bin/porchlight ] && [ -x /usr/bin/porchlight-app ] || fail "the desktop package lacks a binary"
[ -f /usr/share/applications/Porchlight.desktop ] || fail "no desktop entry"
dpkg-query -W -f='${Conffiles}\n' porchlight-server | grep -q /etc/porchlight/server.toml ||
    fail "server.toml is not a conffile"
# Idempotent: configuring again changes nothing and fails on nothing.
/var/lib/dpkg/info/porchlight-server.postinst configure "$version" >/dev/null ||
    fail "configuring the server package again failed"

unit=/lib/systemd/system/porchlight-server.service
say "systemd-analyze verify $unit"
verify=$(systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify: $verify"
# Warnings about the host (no running systemd, other units) are not ours; ours name the unit.
if grep -q "porchlight-server.service:" <<<"$verify"; then fail "unit warnings: $verify"; fi

# The unit's ExecStart, exactly, as its User, in its WorkingDirectory, with its EnvironmentFile;
# only the address changes (a free loopback port instead of 0.0.0.0:8470).
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
user=$(sed -n 's/^User=//p' "$unit")
workdir=$(sed -n 's/^WorkingDirectory=//p' "$unit")
port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
set -a
# shellcheck disable=SC1091
. /etc/porchlight/server.env
set +a
token=$PORCHLIGHT_GROUP_CREATION_TOKEN
say "starting: runuser -u $user -- $exec_start (PORCHLIGHT_LISTEN=127.0.0.1:$port)"
# shellcheck disable=SC2086 # ExecStart is split into words as systemd splits it (no quotes in it)
(cd "$workdir" && exec runuser -u "$user" -- env PORCHLIGHT_LISTEN="127.0.0.1:$port" \
    PORCHLIGHT_GROUP_CREATION_TOKEN="$token" $exec_start) >"$scratch/server.log" 2>&1 &
server_pid=$!
deadline=$((SECONDS + 60))
until grep -q "listening on https://127.0.0.1:$port" "$scratch/server.log"; do
    kill -0 "$server_pid" 2>/dev/null || fail "the server stopped: $(cat "$scratch/server.log")"
    [ $SECONDS -lt $deadline ] || fail "the server did not start in 60 s: $(cat "$scratch/server.log")"
    sleep 0.2
done
grep -q "fingerprint: $fingerprint" "$scratch/server.log" ||
    fail "the server serves another certificate than the one printed on install"
[ "$(stat -c %U /var/lib/porchlight/server.db)" = porchlight ] || fail "server.db is not the service user's"

say "a coordinator and a member, with the installed CLI, over TLS"
cli() { HOME="$scratch/home" /usr/bin/porchlight --json --data-dir "$scratch/$1" "${@:2}"; }
field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const v=JSON.parse(s);console.log(eval("v"+process.argv[1]))})' "$1"; }
mkdir -p "$scratch/home"
cli coord init --name "Carmen" >/dev/null
cli coord group create --server "https://127.0.0.1:$port" --fingerprint "$fingerprint" \
    --name "Package Street" --creation-token "$token" >/dev/null
code=$(cli coord invite --role volunteer --png "$scratch/invite.png" | field '.code')
cli member init --name "Victor" >/dev/null
[ "$(cli member join "$code" --name Victor | field '.role')" = volunteer ] || fail "join"
cli member alert issue --title "Gate left open" --at 45.5145,-122.6265 --radius 100 >/dev/null
[ "$(cli member sync --once | field '.pushed')" = 1 ] || fail "the member pushed nothing"
cli coord sync --once >/dev/null
[ "$(cli coord alert list | field '[0].title')" = "Gate left open" ] ||
    fail "the coordinator did not receive the member's alert"

say "the installed app on a fresh profile, under Xvfb"
mkdir -p "$artifacts" "$scratch/app-home" "$scratch/app-data"
(cd "$root/ui" && HOME="$scratch/app-home" XDG_RUNTIME_DIR="$scratch/app-home" \
    PORCHLIGHT_APP_BIN=/usr/bin/porchlight-app PORCHLIGHT_DATA_DIR="$scratch/app-data" \
    PORCHLIGHT_E2E_ARTIFACTS="$artifacts" xvfb-run -a node e2e/installed.js)

say "stopping the server as systemd would (SIGTERM to the service's process)"
# $server_pid is runuser; the server is its child (runuser would answer SIGTERM by killing it).
server_process=$(pgrep -P "$server_pid" -x porchlight) || fail "no server process under runuser"
kill -TERM "$server_process"
wait "$server_pid" || fail "the server did not stop cleanly on SIGTERM: $(cat "$scratch/server.log")"
server_pid=""

say "a downgrade of the server is refused, nothing changed"
sum_before=$(sha256sum /var/lib/porchlight/server.db /usr/lib/porchlight-server/porchlight)
older="$scratch/older"
dpkg-deb -R "$packages/porchlight-server_${version}_amd64.deb" "$older"
sed -i 's/^Version: .*/Version: 0.0.1/' "$older/DEBIAN/control"
sed -i 's/^NEW_VERSION=.*/NEW_VERSION="0.0.1"/' "$older/DEBIAN/preinst"
dpkg-deb --root-owner-group -Zgzip -z1 --build "$older" "$scratch/older.deb" >/dev/null
if dpkg -i "$scratch/older.deb" >"$scratch/downgrade.log" 2>&1; then fail "the downgrade was accepted"; fi
grep -q "refusing to downgrade" "$scratch/downgrade.log" || fail "no clear refusal: $(cat "$scratch/downgrade.log")"
[ "$(dpkg-query -W -f='${Version}' porchlight-server)" = "$version" ] || fail "the version changed"
[ "$(sha256sum /var/lib/porchlight/server.db /usr/lib/porchlight-server/porchlight)" = "$sum_before" ] ||
    fail "files changed in a refused downgrade"

say "purging"
dpkg --purge porchlight porchlight-server >/dev/null
[ ! -e /usr/bin/porchlight ] && [ ! -e /lib/systemd/system/porchlight-server.service ] ||
    fail "files left after purge"
say "passed in $(( $(date +%s) - started )) s (screenshot: $artifacts/installed-onboarding.png)"
