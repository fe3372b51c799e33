# shellcheck shell=bash
# node_from_npm ARCH SPEC DIR: the Node.js binary distribution published on the npm registry as
# node-linux-ARCH (x64, arm64), version or range SPEC (e.g. 22, 24.22.3), unpacked into
# DIR/node-ARCH-VERSION unless already there. Prints that directory (its bin/node is the binary).
node_from_npm() {
  local arch=$1 spec=$2 dir=$3 version
  if [[ $spec =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then version=$spec
  else version=$(npm view "node-linux-$arch@$spec" version --json | node -e '
    const v = JSON.parse(require("node:fs").readFileSync(0, "utf8"));
    console.log(Array.isArray(v) ? v[v.length - 1] : v);')
  fi
  local target=$dir/node-$arch-$version
  if [ ! -x "$target/bin/node" ]; then
    echo "== fetching node-linux-$arch@$version (npm registry)" >&2
    mkdir -p "$dir"
    local tmp; tmp=$(mktemp -d "$dir/pack.XXXX")
    (cd "$tmp" && npm pack --silent "node-linux-$arch@$version" >/dev/null && tar xzf "node-linux-$arch-$version.tgz")
    rm -rf "$target" && mv "$tmp/package" "$target" && rm -rf "$tmp"
  fi
  echo "$target"
}
