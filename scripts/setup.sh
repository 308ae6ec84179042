#!/usr/bin/env bash
# Installs what building and testing Porchlight needs and is not there yet. Idempotent: a second
# run finds everything in place and changes nothing. Never asks questions (CI has no stdin).
set -euo pipefail

say() { printf 'setup: %s\n' "$*"; }

if ! command -v cargo >/dev/null 2>&1; then
    say "cargo is missing: install Rust (stable) with rustup first" >&2
    exit 1
fi

# rustfmt and clippy come with rustup's default profile; add them if a minimal profile left
# them out.
for component in rustfmt clippy; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        say "adding the $component component"
        rustup component add "$component"
    fi
done

# A C compiler builds the bundled SQLite.
if ! command -v cc >/dev/null 2>&1; then
    packages=(build-essential)
    say "installing ${packages[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${packages[@]}"
fi

say "ready"
