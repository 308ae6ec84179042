#!/usr/bin/env bash
# `make bench`: every performance target of TARGETS.md measured in one run, then one table.
#
# Each step writes its rows under $BENCH_DIR; a step that fails leaves its rows "not run" in the
# table and the run goes on. Progress goes to stderr as "[k/n] step", and the run ends with how
# long each step took, so a slow step is plain to see.
#
# Every release build here selects the same packages with the same features: cargo then resolves
# one feature set and compiles each dependency once for the whole run (a `cargo bench -p X` of
# its own resolves X's features alone and compiled tokio, axum and automerge again, 2-3 minutes a
# crate). The soak tests run in the debug build `make test` makes (--workspace, all targets), so
# after `make test` they cost nothing to build.
set -uo pipefail
cd "$(dirname "$0")/.."

CARGO=${CARGO:-cargo}
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
BENCH_DIR=$TARGET/bench
rm -f "$BENCH_DIR"/*.json "$BENCH_DIR"/*.out
mkdir -p "$BENCH_DIR"

# The group size automerge-repo, P8's reference, is measured at in this run. 1,000 by default:
# at 10,000 it alone takes about 8 minutes here (`make bench-reference` sets 10000).
REFERENCE=${PORCHLIGHT_BENCH_REFERENCE_RECORDS:-1000}
case $REFERENCE in
  '' | *[!0-9]*) echo "PORCHLIGHT_BENCH_REFERENCE_RECORDS must be a number, not '$REFERENCE'" >&2; exit 2 ;;
esac

# The app is built as `tauri build` builds it (custom-protocol: the UI embedded, no dev server).
RELEASE=(
  --profile release --features porchlight-crdt/forge,tauri/custom-protocol
  -p porchlight-cli -p porchlight-bench -p porchlight-benchkit -p porchlight-store
  -p porchlight-media -p porchlight-crdt -p porchlight-core -p porchlight-server
  -p porchlight-app
)

STEPS=(
  "release build|build"
  "P3 alert matching (100,000 alerts)|bench matching"
  "P5 photo intake|bench intake"
  "P10 untrusted-change pre-check|bench precheck"
  "P6 patrol tracking|bench p6_tracking"
  "P4 coordinator lists (50,000 patrols, 20,000 reports)|bench p4_lists"
  "P2 server throughput (SQLite, PostgreSQL, two instances)|bench p2_backends"
  "concurrent pushers soak (30 s)|soak_pushers"
  "R4 500 devices (60 s)|soak_load"
  "P8 reference: automerge-repo at $REFERENCE records|automerge_repo"
  "P1, P8, P9: devices against a real server|load_generator"
  "P7 the desktop app at 10,000 records|desktop_app"
)

build() {
  # Binaries and benches in one cargo command: one feature resolution, each dependency compiled
  # once. The benches then run from the executables it lists (a `cargo bench` afterwards
  # resolves features its own way and compiled most dependencies a second time).
  "$CARGO" build "${RELEASE[@]}" --bins --benches --message-format=json-render-diagnostics \
    >"$BENCH_DIR/build.jsonl"
}
bench() {
  # The bench's executable and its package's directory, from the build's messages; run as
  # `cargo bench` runs it (in the package's directory, with --bench).
  local found exe dir
  found=$(node -e '
    const [file, name] = process.argv.slice(1);
    for (const line of require("fs").readFileSync(file, "utf8").split("\n")) {
      if (!line.startsWith("{")) continue;
      const m = JSON.parse(line);
      if (m.reason === "compiler-artifact" && m.target.kind.includes("bench") && m.target.name === name && m.executable) {
        console.log(m.executable + "\t" + require("path").dirname(m.manifest_path));
      }
    }' "$BENCH_DIR/build.jsonl" "$1" | tail -1)
  if [ -z "$found" ]; then
    echo "bench: no executable for the bench $1 in the build" >&2
    return 1
  fi
  exe=${found%%$'\t'*}
  dir=${found#*$'\t'}
  # Criterion's own statistics are for reading along; the rows come from each bench's own timing.
  # CRITERION_HOME: criterion would otherwise write its files under the package's own target/.
  (cd "$dir" && CRITERION_HOME="$TARGET/criterion" "$exe" --bench --noplot --warm-up-time 1 \
    --measurement-time 2)
}
soak_pushers() {
  PORCHLIGHT_SOAK_SECS=30 "$CARGO" test --workspace --test it concurrent_pushers
}
soak_load() {
  PORCHLIGHT_SOAK_SECS=60 "$CARGO" test --workspace --test it load::
}
automerge_repo() {
  # Installed for the benchmark only. `npm install`, not `npm ci`: npm 11's ci refuses a lock
  # without the other platforms' optional cbor-extract binaries, which this registry lacks.
  (cd bench/automerge-repo && npm install --no-audit --no-fund --loglevel=error &&
    node p8.mjs "$REFERENCE" >"$BENCH_DIR/automerge-repo-$REFERENCE.out")
}
load_generator() {
  "$TARGET/release/porchlight-bench" --server "$TARGET/release/porchlight" --reference "$REFERENCE"
}
desktop_app() {
  # The release app, as users run it, under Xvfb, on a large demo group the release CLI writes.
  (cd ui && PORCHLIGHT_APP_BIN="$TARGET/release/porchlight-app" \
    PORCHLIGHT_CLI_BIN="$TARGET/release/porchlight" PORCHLIGHT_BENCH_DIR="$BENCH_DIR" \
    xvfb-run -a node e2e/p7.js)
}

started=$(date +%s)
timings=()
failed=0
total=${#STEPS[@]}
for i in "${!STEPS[@]}"; do
  name=${STEPS[$i]%%|*}
  cmd=${STEPS[$i]#*|}
  echo "== [$((i + 1))/$total] $name" >&2
  t=$(date +%s)
  # shellcheck disable=SC2086 # the step's words are its function and argument
  $cmd
  rc=$?
  secs=$(($(date +%s) - t))
  if [ "$rc" -ne 0 ]; then
    failed=$((failed + 1))
    echo "== [$((i + 1))/$total] $name FAILED (exit $rc) after ${secs} s" >&2
    timings+=("$(printf '%5d s  %s (failed, exit %d)' "$secs" "$name" "$rc")")
    # Nothing else can be measured without the binaries.
    [ "$cmd" = build ] && exit "$rc"
  else
    timings+=("$(printf '%5d s  %s' "$secs" "$name")")
  fi
done

"$TARGET/release/bench-table"
table=$?
elapsed=$(($(date +%s) - started))
{
  echo
  echo "make bench: $((elapsed / 60)) min $((elapsed % 60)) s in all; $failed of $total steps failed"
  printf '%s\n' "${timings[@]}"
} | tee "$BENCH_DIR/steps.out" >&2
exit "$table"
