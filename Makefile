# Porchlight: two commands do everything.
#   make run   installs what is missing, builds, and opens Porchlight on a demo neighbourhood
#   make test  everything CI checks: formatting, lints, and every test
# Both are safe to run again and again.

CARGO ?= cargo
DEMO_DIR ?= $(CURDIR)/.porchlight-dev/demo

.PHONY: run test setup build fmt lint check clean-demo

setup:
	@scripts/setup.sh

build: setup
	$(CARGO) build --workspace

# Until the desktop app lands, `run` shows the demo neighbourhood through the CLI.
run: build
	@scripts/run-demo.sh "$(DEMO_DIR)"

fmt:
	$(CARGO) fmt --all

lint: setup
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

test: lint
	$(CARGO) test --workspace

clean-demo:
	rm -rf "$(DEMO_DIR)"
