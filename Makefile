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

.PHONY: run test bench setup build fmt lint check clean-demo ui ui-types ui-check ui-lint ui-test e2e screenshot \
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

# The UI bundle (ui/dist) that the app embeds; src-tauri does not compile without it.
ui: setup
	cd ui && npm run build

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
# criterion benches of each crate, then the load generator against a real `porchlight serve` on
# loopback. Every benchmark writes its rows under $(BENCH_DIR); the last step prints them as one
# table and writes $(BENCH_DIR)/summary.json. A bench that fails leaves its rows "not run".
BENCH_TARGET = $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)
BENCH_DIR = $(BENCH_TARGET)/bench

bench: build
	rm -f $(BENCH_DIR)/*.json $(BENCH_DIR)/*.out
	mkdir -p $(BENCH_DIR)
	$(CARGO) build --release -p porchlight-cli -p porchlight-bench -p porchlight-benchkit
	-$(CARGO) bench -p porchlight-store --bench matching
	-$(CARGO) bench -p porchlight-media --bench intake
	-$(CARGO) bench -p porchlight-crdt --features forge --bench precheck
	-$(CARGO) bench -p porchlight-core --bench p6_tracking
	-$(CARGO) bench -p porchlight-core --bench p4_lists
	-$(CARGO) bench -p porchlight-server --bench p2_backends
	-PORCHLIGHT_SOAK_SECS=30 $(CARGO) test -p porchlight-server --test it concurrent_pushers
	-PORCHLIGHT_SOAK_SECS=60 $(CARGO) test -p porchlight-tests --test it load::
	# automerge-repo, installed for the benchmark only: P8's reference, measured in this run.
	# `npm install`, not `npm ci`: npm 11's ci refuses a lock without the other platforms'
	# optional cbor-extract binaries, which this machine's registry does not serve.
	-cd bench/automerge-repo && npm install --no-audit --no-fund --loglevel=error && node p8.mjs 1000 > $(BENCH_DIR)/automerge-repo-1000.out
	-$(BENCH_TARGET)/release/porchlight-bench --server $(BENCH_TARGET)/release/porchlight
	# P7: the desktop app (the debug build `make build` makes) under Xvfb, a large demo group
	# written by the release CLI.
	-cd ui && PORCHLIGHT_CLI_BIN=$(BENCH_TARGET)/release/porchlight PORCHLIGHT_BENCH_DIR=$(BENCH_DIR) \
		xvfb-run -a node e2e/p7.js
	$(BENCH_TARGET)/release/bench-table

clean-demo:
	rm -rf "$(DEMO_DIR)"
