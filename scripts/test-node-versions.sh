#!/usr/bin/env bash
# npm run test:node-versions [-- MAJOR...]   (default: 22 24)
#
# Runs `npm test` in this checkout under other Node.js majors: the newest x64 (or arm64, on an
# arm64 machine) release of each, from the npm registry packages node-linux-<arch>, cached under
# NODE_VERSIONS_CACHE (default ~/.cache/shared-mysql-pool-node). The installed node_modules are
# used as they are: the dependencies are plain JavaScript apart from esbuild's and rolldown's
# binaries, which are per architecture, not per Node version. Prints one line per major at the end;
# exits non-zero if any of them failed. Extra environment (TEST_TIME_SCALE, ...) passes through.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/node-from-npm.sh
. scripts/lib/node-from-npm.sh
cache=${NODE_VERSIONS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shared-mysql-pool-node}
arch=$(node -p process.arch)
majors=("$@")
[ ${#majors[@]} -gt 0 ] || majors=(22 24)

results=()
failed=0
for major in "${majors[@]}"; do
  dir=$(node_from_npm "$arch" "$major" "$cache")
  version=$("$dir/bin/node" --version)
  echo "== npm test under node $version"
  t0=$(date +%s)
  rm -f test-results.json
  rc=0
  PATH="$dir/bin:$PATH" npm test || rc=$?
  line=$(node -p '(r => `${r.numPassedTests} passed, ${r.numFailedTests} failed`)(require("./test-results.json"))' 2>/dev/null || echo 'no test report')
  results+=("node $version: exit $rc, $line, $(( $(date +%s) - t0 )) s")
  [ "$rc" = 0 ] || failed=1
done
echo
echo "== npm test under other Node versions"
printf '  %s\n' "${results[@]}"
exit "$failed"
