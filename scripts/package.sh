#!/usr/bin/env bash
# Builds the two Debian packages into $TARGET/packages/<profile>/:
#   porchlight_<v>_amd64.deb          the desktop app (Tauri's bundler) with the `porchlight` CLI
#   porchlight-server_<v>_amd64.deb   the sync server: system user, hardened systemd unit, settings
#
#   scripts/package.sh release   `make package`: release binaries (compiled here if needed)
#   scripts/package.sh debug     `make package-test`: the debug binaries `make test` already built
#
# Nothing here downloads: the Tauri CLI is the npm devDependency installed by scripts/setup.sh,
# and the server package is put together with dpkg-deb from a staged tree.
set -euo pipefail

profile=${1:-release}
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
bin="$target/$profile"
out="$target/packages/$profile"
say() { printf 'package: %s\n' "$*"; }

case "$profile" in
    release)
        # The app with tauri/custom-protocol, as `tauri build` makes it (no dev-mode code).
        cargo build --release -p porchlight-cli
        cargo build --release -p porchlight-app --features tauri/custom-protocol
        tauri_profile=()
        compress=(-Zxz)
        ;;
    debug)
        tauri_profile=(--debug)
        compress=(-Zgzip -z1)
        ;;
    *)
        echo "usage: $0 release|debug" >&2
        exit 2
        ;;
esac
for b in porchlight porchlight-app; do
    [ -x "$bin/$b" ] || { echo "package: $bin/$b is missing; build it first" >&2; exit 1; }
done

# One version for everything: the workspace's.
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' "$root/Cargo.toml")
[ -n "$version" ] || { echo "package: no version in Cargo.toml's [workspace.package]" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"

# The desktop app. Tauri reads the version from src-tauri's Cargo.toml (the workspace's); the
# CLI's path depends on the target directory, so it is given here rather than in the config.
say "desktop app $version ($profile)"
rm -rf "$bin/bundle/deb"
(cd "$root" && ui/node_modules/.bin/tauri bundle "${tauri_profile[@]}" --bundles deb --no-sign \
    --no-binary-patching \
    --config "{\"bundle\":{\"linux\":{\"deb\":{\"files\":{\"/usr/bin/porchlight\":\"$bin/porchlight\"}}}}}")
cp "$bin"/bundle/deb/*.deb "$out/porchlight_${version}_amd64.deb"

# The server.
say "server $version ($profile)"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
src="$root/packaging/server"
install -D -m 0755 "$bin/porchlight" "$stage/usr/lib/porchlight-server/porchlight"
install -D -m 0755 "$src/porchlight-server" "$stage/usr/bin/porchlight-server"
install -D -m 0644 "$src/porchlight-server.service" "$stage/lib/systemd/system/porchlight-server.service"
install -D -m 0644 "$src/server.toml" "$stage/etc/porchlight/server.toml"
install -D -m 0644 "$root/docs/OPERATIONS.md" "$stage/usr/share/doc/porchlight-server/OPERATIONS.md"
mkdir -p "$stage/DEBIAN"
for script in preinst postinst prerm postrm; do
    sed "s/@VERSION@/$version/g" "$src/$script" > "$stage/DEBIAN/$script"
    chmod 0755 "$stage/DEBIAN/$script"
done
echo /etc/porchlight/server.toml > "$stage/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<EOF
Package: porchlight-server
Version: $version
Architecture: amd64
Maintainer: The Porchlight project
Section: net
Priority: optional
Installed-Size: $size
Depends: libc6, libgcc-s1, passwd, util-linux
Suggests: postgresql, sqlite3
Homepage: https://example.invalid/porchlight
Description: Porchlight sync server for neighbourhood-watch groups
 The server Porchlight's apps sync through: it stores signed changes it cannot
 forge, sealed reports it cannot read, and anonymous drops. Runs as the
 porchlight user under a hardened systemd unit, with its data in
 /var/lib/porchlight (SQLite) or on PostgreSQL, and TLS from the first start.
EOF
dpkg-deb --root-owner-group "${compress[@]}" --build "$stage" "$out/porchlight-server_${version}_amd64.deb" >/dev/null
say "built $(cd "$out" && echo *.deb)"
