#!/usr/bin/env bash
# npm run test:arm64 [-- --save-bench] [--full-bench] [--skip-tests] [--skip-bench]
#
# The test suite and a quick bench under arm64 Node, emulated by qemu-user on an x64 Debian machine
# (see runtime.sh for the runtime and its cache). Steps:
#   1. set up the runtime (idempotent, cached),
#   2. copy this checkout (without ignored files) to $ARM64_CACHE/work/<checkout>,
#   3. `npm ci` there with the arm64 node (skipped when the lock file and node version are unchanged
#      since the last install), so esbuild's and rolldown's arm64 binaries are the ones installed,
#   4. `npm test -- $ARM64_TESTS` with TEST_TIME_SCALE (default 10: emulation is ~5-15x slower),
#   5. `npm run bench -- --quick`; its output is copied back to bench/out/ here (ignored by git).
#      --full-bench: the full bench instead; --save-bench: with --save, and docs/results/arm64*
#      is copied back here too (the committed results). --skip-tests, --skip-bench: leave one out.
# qemu itself sometimes crashes ("qemu: uncaught target signal ..."): a step that fails with that
# message is retried once (for the tests: only the files that failed) and the crash is listed in the
# summary; a failure without it is a real failure and is not retried.
#
# Environment: ARM64_TESTS (vitest file filters; default: the whole suite), TEST_TIME_SCALE,
# ARM64_BUDGET (seconds for the whole job, default 1500; a step still running then is killed and
# the job fails), ARM64_BENCH_ONLY (bench group ids; default: every group), ARM64_NICE (default
# 10), ARM64_NODE_VERSION, ARM64_CACHE.
set -euo pipefail
project=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=runtime.sh
. "$project/scripts/arm64/runtime.sh"

save_bench=false
full_bench=false
skip_tests=false
skip_bench=false
for arg in "$@"; do
  case $arg in
    --save-bench) save_bench=true ;;
    --full-bench) full_bench=true ;;
    --skip-tests) skip_tests=true ;;
    --skip-bench) skip_bench=true ;;
    *) echo "usage: npm run test:arm64 [-- --save-bench] [--full-bench] [--skip-tests] [--skip-bench]" >&2; exit 2 ;;
  esac
done

export TEST_TIME_SCALE=${TEST_TIME_SCALE:-10}
nice_level=${ARM64_NICE:-10}
crashes=()
summary=()

arm64_setup
work=$ARM64_CACHE/work/$(basename "$project")-$(printf '%s' "$project" | sha256sum | cut -c1-8)
mkdir -p "$work"
exec 9>"$work.lock"
flock -n 9 || { arm64_log "another run uses $work: waiting for it"; flock 9; }
started=$(date +%s)
deadline=$((started + ${ARM64_BUDGET:-1500}))
logdir=$work.logs
rm -rf "$logdir" && mkdir -p "$logdir"

arm64_log "copying $project to $work"
# .gitignore'd files (node_modules, outputs) are neither copied nor deleted there.
rsync -a --delete --exclude=/.git --filter=':- .gitignore' "$project/" "$work/"

arm64_env
cd "$work"
arm64_log "$(node -p '`node ${process.version} ${process.arch}`') under $(qemu-aarch64-static --version | head -1), TEST_TIME_SCALE=$TEST_TIME_SCALE"

# step NAME LOG CMD...: runs CMD niced, bounded by the job's deadline, output to the console and LOG.
step() {
  local name=$1 log=$2; shift 2
  local left=$((deadline - $(date +%s)))
  if [ "$left" -le 0 ]; then echo "arm64: no time left for $name (ARM64_BUDGET)" | tee "$log"; return 124; fi
  local t0 rc=0; t0=$(date +%s)
  timeout --kill-after=20 "$left" nice -n "$nice_level" "$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
  summary+=("$name: exit $rc, $(( $(date +%s) - t0 )) s")
  [ "$rc" = 124 ] && echo "arm64: $name was stopped by the job's time budget (ARM64_BUDGET)"
  return "$rc"
}

qemu_crash() { grep -m1 -a 'uncaught target signal' "$1"; }

# step_retrying NAME CMD...: step, retried once when it failed with a qemu crash.
step_retrying() {
  local name=$1; shift
  step "$name" "$logdir/$name.log" "$@" && return 0
  local rc=$? line
  line=$(qemu_crash "$logdir/$name.log") || return "$rc"
  crashes+=("$name: $line (retried)")
  echo "arm64: QEMU CRASH in $name: $line -- retrying once"
  step "$name-retry" "$logdir/$name-retry.log" "$@"
}

stamp="node $ARM64_NODE_VERSION arm64, lock $(sha256sum package-lock.json | cut -c1-16)"
if [ -f node_modules/.arm64-install-stamp ] && [ "$(cat node_modules/.arm64-install-stamp)" = "$stamp" ]; then
  arm64_log "node_modules already installed by arm64 node for this lock file"
else
  step_retrying install npm ci --no-audit --no-fund
  echo "$stamp" > node_modules/.arm64-install-stamp
fi

failed=0
rm -f test-results.json test-results.first.json
tests_line=skipped
# shellcheck disable=SC2086 # ARM64_TESTS is a list of file filters
if $skip_tests; then :
elif ! step tests "$logdir/tests.log" npm test -- ${ARM64_TESTS:-}; then
  if line=$(qemu_crash "$logdir/tests.log"); then
    mapfile -t again < <(node -e '
      const r = require("./test-results.json");
      for (const f of r.testResults) if (f.status !== "passed") console.log(require("node:path").relative(process.cwd(), f.name));')
    # A process that crashed may leave its file out of the report: then retry the whole selection.
    # shellcheck disable=SC2206 # ARM64_TESTS is a list of file filters
    [ ${#again[@]} -gt 0 ] || again=(${ARM64_TESTS:-})
    crashes+=("tests: $line (retried once: ${again[*]:-the whole suite})")
    echo "arm64: QEMU CRASH during the tests: $line -- retrying once: ${again[*]:-the whole suite}"
    cp test-results.json test-results.first.json
    step tests-retry "$logdir/tests-retry.log" npm test -- "${again[@]}" || failed=1
  else
    failed=1
  fi
fi
$skip_tests || tests_line=$(node -e '
  const r = require("./test-results.json");
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed${r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""} in ${r.testResults.length} files`);' 2>/dev/null || echo "no test report")
[ -f test-results.first.json ] && tests_line="$tests_line (retry); first attempt: $(node -p '(r => `${r.numPassedTests} passed, ${r.numFailedTests} failed`)(require("./test-results.first.json"))')"

bench_args=()
$full_bench || bench_args+=(--quick)
# ARM64_BENCH_ONLY="raw-cas stack checkout contention": just those groups (a partial run writes no results files).
for group in ${ARM64_BENCH_ONLY:-}; do bench_args+=(--only "$group"); done
$save_bench && bench_args+=(--save)
if ! $skip_bench; then
  step_retrying bench npm run bench -- "${bench_args[@]}" || failed=1
  mkdir -p "$project/bench/out"
  cp -f bench/out/arm64* "$project/bench/out/" 2>/dev/null || true
  $save_bench && cp -f docs/results/arm64* "$project/docs/results/"
fi

echo
echo "== arm64 summary (node $ARM64_NODE_VERSION under qemu-user, TEST_TIME_SCALE=$TEST_TIME_SCALE)"
printf '  %s\n' "${summary[@]}"
echo "  tests: $tests_line${ARM64_TESTS:+ (ARM64_TESTS=$ARM64_TESTS)}"
if [ ${#crashes[@]} -gt 0 ]; then
  echo "  QEMU CRASHES (retried once each):"
  printf '    %s\n' "${crashes[@]}"
else
  echo "  qemu crashes: none"
fi
echo "  total $(( $(date +%s) - started )) s; logs in $logdir"
exit "$failed"
