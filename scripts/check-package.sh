#!/usr/bin/env bash
# The package as a user gets it: `npm pack` (which builds dist/ through `prepare`), the tarball
# installed into a throw-away app in a temp dir, then used from there:
#   ESM import and CJS require (both run a query); tsc --strict over the README's own ```ts examples
#   (node16 and bundler resolution) and over a CommonJS TypeScript consumer (nodenext); an app
#   bundled with esbuild --bundle --platform=node that queries from the main thread and a worker;
#   the piscina example copied out of examples/.
# Needs MariaDB/MySQL at MYSQL_URL (default mysql://root@127.0.0.1:3306/test). Called by .ci/run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
export MYSQL_URL="${MYSQL_URL:-mysql://root@127.0.0.1:3306/test}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
started=$SECONDS
step() { echo "== check-package: $* ($((SECONDS - started)) s)"; }

step "npm pack"
cd "$root"
tarball="$tmp/$(npm pack --silent --pack-destination "$tmp" | tail -1)"
tar -tzf "$tarball" | sed 's|^package/||' | sort > "$tmp/contents.txt"
for f in package.json README.md dist/src/index.js dist/src/index.d.ts dist/src/workers/mysql2-connector.js; do
  grep -qx "$f" "$tmp/contents.txt" || { echo "FATAL: the tarball lacks $f" >&2; exit 1; }
done
if grep -Ev '^(package\.json|README\.md|LICENSE|dist/src/.*\.(js|d\.ts|js\.map))$' "$tmp/contents.txt"; then
  echo "FATAL: the tarball holds files it should not (above)" >&2; exit 1
fi
echo "tarball: $(wc -l < "$tmp/contents.txt") files, $(du -k "$tarball" | cut -f1) kB"

step "install the tarball into a throw-away app"
app="$tmp/app"
mkdir -p "$app"
cd "$app"
echo '{ "name": "consumer-app", "private": true, "type": "module" }' > package.json
# The same versions as this repository's lock file, so npm's cache answers.
ver() { node -p "require('$root/node_modules/$1/package.json').version"; }
npm install --no-audit --no-fund --prefer-offline --loglevel=error "$tarball" \
  "piscina@$(ver piscina)" "typescript@$(ver typescript)" "esbuild@$(ver esbuild)" "@types/node@$(ver @types/node)" \
  "kysely@$(ver kysely)" "drizzle-orm@$(ver drizzle-orm)" "knex@$(ver knex)" "mysql2@$(ver mysql2)" "prom-client@$(ver prom-client)"
fixtures="$root/scripts/package-check"

step "ESM import"
cp "$fixtures/esm.mjs" . && node esm.mjs

step "CJS require"
cp "$fixtures/cjs.cjs" . && node cjs.cjs

step "tsc --strict over the README's examples"
node "$fixtures/readme-examples.mjs" node_modules/shared-mysql-pool/README.md readme
# drizzle-orm's own .d.ts do not pass skipLibCheck: false: its README example is compiled apart.
mkdir -p readme-drizzle
for f in $(grep -l "from 'drizzle-orm" readme/*.ts); do mv "$f" readme-drizzle/; done
for resolution in node16 bundler; do
  module=$([ "$resolution" = node16 ] && echo node16 || echo esnext)
  cat > "tsconfig.$resolution.json" <<JSON
{ "compilerOptions": { "strict": true, "noEmit": true, "module": "$module", "moduleResolution": "$resolution",
    "target": "es2022", "lib": ["es2022", "esnext.disposable"], "types": ["node"], "resolveJsonModule": true, "skipLibCheck": false },
  "include": ["readme/*.ts"] }
JSON
  npx tsc -p "tsconfig.$resolution.json"
  echo "tsc ($resolution): ok"
  if ls readme-drizzle/*.ts > /dev/null 2>&1; then
    sed -e 's/"skipLibCheck": false/"skipLibCheck": true/' -e 's#readme/\*.ts#readme-drizzle/*.ts#' "tsconfig.$resolution.json" > "tsconfig.$resolution.drizzle.json"
    npx tsc -p "tsconfig.$resolution.drizzle.json"
    echo "tsc ($resolution, drizzle example, skipLibCheck): ok"
  fi
done

cp "$fixtures/consumer.cts" .
cat > tsconfig.cjs.json <<JSON
{ "compilerOptions": { "strict": true, "noEmit": true, "module": "nodenext", "moduleResolution": "nodenext",
    "target": "es2022", "types": ["node"], "resolveJsonModule": true, "skipLibCheck": false },
  "files": ["consumer.cts"] }
JSON
npx tsc -p tsconfig.cjs.json
echo "tsc (CommonJS consumer, nodenext): ok"

step "esbuild --bundle --platform=node"
cp "$fixtures/bundle-app.cjs" "$fixtures/bundle-app.mjs" .
npx esbuild bundle-app.cjs --bundle --platform=node --log-level=warning --outfile=bundled/app.cjs
npx esbuild bundle-app.mjs --bundle --platform=node --format=esm --log-level=warning --outfile=bundled/app.mjs \
  "--banner:js=import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);"
# Run them away from node_modules: a bundle must need nothing on disk.
mv bundled "$tmp/bundled"
node "$tmp/bundled/app.cjs"
node "$tmp/bundled/app.mjs"

step "the piscina example"
cp "$root/examples/piscina/"*.mjs .
node main.mjs

step "done"
