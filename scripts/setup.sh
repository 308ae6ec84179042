#!/usr/bin/env bash
# Installs what building and testing Porchlight needs and is not there yet. Idempotent: a second
# run finds everything in place and changes nothing. Never asks questions (CI has no stdin).
#
#   scripts/apt-packages.txt   Debian packages
#   ui/package-lock.json       npm packages (installed with `npm ci` when node_modules is stale)
#   scripts/cargo-tools.txt    cargo-installed tools: "<binary> <crate> [version]"
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'setup: %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v cargo >/dev/null 2>&1; then
    say "cargo is missing: install Rust (stable) with rustup first" >&2
    exit 1
fi
cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
cargo clippy --version >/dev/null 2>&1 || rustup component add clippy

# Debian packages.
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$root/scripts/apt-packages.txt" | awk '{print $1}')
missing=()
for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Cargo-installed tools.
if [ -f "$root/scripts/cargo-tools.txt" ]; then
    while read -r bin crate version; do
        [ -n "${bin:-}" ] && [ "${bin:0:1}" != "#" ] || continue
        if ! command -v "$bin" >/dev/null 2>&1; then
            say "installing $crate"
            cargo install --locked "$crate" ${version:+--version "$version"}
        fi
    done < "$root/scripts/cargo-tools.txt"
fi

# npm packages for the UI, reinstalled only when the lock file changed.
if [ -f "$root/ui/package-lock.json" ]; then
    stamp="$root/ui/node_modules/.installed-lock"
    if [ ! -f "$stamp" ] || ! cmp -s "$root/ui/package-lock.json" "$stamp"; then
        say "installing npm packages for the UI"
        (cd "$root/ui" && npm ci --no-audit --no-fund)
        cp "$root/ui/package-lock.json" "$stamp"
    fi
fi

say "ready"
