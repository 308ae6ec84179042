# Porchlight: two commands do everything.
#   make run   installs what is missing, builds, and opens Porchlight on a demo neighbourhood
#   make test  everything CI checks: formatting, lints, and every test
# Both are safe to run again and again.

CARGO ?= cargo
DEMO_DIR ?= $(CURDIR)/.porchlight-dev/demo

E2E_ARTIFACTS ?= $(CURDIR)/target/e2e-artifacts

# CI builds once from a clean clone: incremental caches would only cost disk and time there.
ifeq ($(CI),true)
export CARGO_INCREMENTAL = 0
endif

.PHONY: run test bench bench-reference setup build fmt lint check clean-demo ui ui-types ui-check ui-lint ui-test e2e screenshot \
	package package-test

setup:
	@scripts/setup.sh

# BUILD_FLAGS: `make test` passes --all-targets, so the app it drives shares the test build's
# features (dev-dependencies turn on tokio's test-util and tauri's test feature); a plain build
# there would compile tokio, tauri and everything above them a second time.
build: setup ui
	$(CARGO) build --workspace $(BUILD_FLAGS)

# Fills the demo neighbourhood (once) and opens the desktop app on it: on $$DISPLAY if there is
# one, else under Xvfb (then `make screenshot` shows what it looks like).
run: build
	@scripts/run-demo.sh "$(DEMO_DIR)"

# The UI bundle (ui/dist) that the app embeds; src-tauri does not compile without it. Built again
# only when a source is newer: a fresh bundle, even an identical one, makes cargo rebuild the app
# (minutes in release, where the link is optimised).
UI_SOURCES := $(shell find ui/src -type f) ui/index.html ui/package.json ui/package-lock.json \
	ui/vite.config.ts ui/svelte.config.js ui/tsconfig.json
ui: setup ui/dist/index.html

ui/dist/index.html: $(UI_SOURCES) | setup
	cd ui && npm run build
	@touch $@

# Rewrites ui/src/lib/bindings.ts from the Rust types (cargo test fails while it is stale).
ui-types:
	PORCHLIGHT_WRITE_BINDINGS=1 $(CARGO) test -p porchlight-app typescript_bindings

ui-check: setup
	cd ui && npm run check

ui-lint: setup
	cd ui && npm run lint

ui-test: setup
	cd ui && npm test

# The real app driven through tauri-driver + WebKitWebDriver under Xvfb, one scenario per role.
# Screenshots land in $(E2E_ARTIFACTS).
e2e: build
	cd ui && PORCHLIGHT_E2E_ARTIFACTS="$(E2E_ARTIFACTS)" xvfb-run -a npm run e2e

# A picture of the app on the demo neighbourhood, without a display: target/screenshots/.
screenshot: build
	@scripts/run-demo.sh "$(DEMO_DIR)" --fill-only
	cd ui && PORCHLIGHT_DATA_DIR="$(DEMO_DIR)" PORCHLIGHT_E2E_ARTIFACTS="$(CURDIR)/target/screenshots" \
		xvfb-run -a node e2e/screenshot.js

fmt:
	$(CARGO) fmt --all

lint: setup ui
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test: lint ui-check ui-lint ui-test
	$(CARGO) test --workspace
	$(MAKE) e2e BUILD_FLAGS=--all-targets
	$(MAKE) package-test BUILD_FLAGS=--all-targets

# Release Debian packages of the desktop app (with the `porchlight` CLI) and of the server, in
# $$CARGO_TARGET_DIR/packages (docs/INSTALL.md, docs/OPERATIONS.md). Nothing is downloaded.
package: setup ui
	scripts/package.sh release

# Both packages from the debug build `make test` made, installed on this machine (as root),
# the server started as its unit would start it, a device joined to it over TLS, the installed
# app opened on a fresh profile (screenshot of onboarding), then everything purged.
package-test: build
	scripts/package-test.sh

# Performance targets (TARGETS.md), measured side by side in one run on release builds: the
# criterion benches of each crate, the soak tests, automerge-repo beside us, the load generator
# against a real `porchlight serve` on loopback, and the desktop app under Xvfb. Every step writes
# its rows under $$CARGO_TARGET_DIR/bench (target/bench); the last prints them as one table and
# how long each step took (scripts/bench.sh). The debug build is the one `make test` makes, so
# the app and the soak tests are not compiled again after it.
bench:
	$(MAKE) build BUILD_FLAGS=--all-targets
	CARGO="$(CARGO)" scripts/bench.sh

# The same, with P8's reference (automerge-repo) measured at the target's 10,000 records in the
# run instead of 1,000: about 8 minutes longer.
bench-reference:
	PORCHLIGHT_BENCH_REFERENCE_RECORDS=10000 $(MAKE) bench

clean-demo:
	rm -rf "$(DEMO_DIR)"
