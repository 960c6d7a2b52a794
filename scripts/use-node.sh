# Source this file (`source scripts/use-node.sh`): afterwards `node` on PATH is >= 22.19.
#
# The project needs Node >= 22.19 (Effect 4, node:sqlite). When the machine's Node is older,
# Node 22 is installed from the npm registry's `node` package (a real Node binary, no
# compiler needed) into <repo>/.tools/node, and put first on PATH. This is the one place
# that pins that version.
RELEASEPASSPORT_NODE_VERSION=22.23.3

_rp_repo="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
_rp_node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 22 || (a === 22 && b >= 19) ? 0 : 1)'
}

if ! _rp_node_ok; then
  _rp_prefix="${_rp_repo}/.tools/node"
  if ! [ -x "${_rp_prefix}/node_modules/.bin/node" ] ||
    [ "$("${_rp_prefix}/node_modules/.bin/node" --version 2>/dev/null)" != "v${RELEASEPASSPORT_NODE_VERSION}" ]; then
    echo "use-node: installing Node ${RELEASEPASSPORT_NODE_VERSION} into ${_rp_prefix} (machine has $(node --version 2>/dev/null || echo none))" >&2
    mkdir -p "${_rp_prefix}"
    npm install --prefix "${_rp_prefix}" --no-save --no-audit --no-fund --loglevel=error "node@${RELEASEPASSPORT_NODE_VERSION}" >&2 ||
      { echo "use-node: could not install node@${RELEASEPASSPORT_NODE_VERSION} from the npm registry" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="${_rp_prefix}/node_modules/.bin:${PATH}"
fi
unset -f _rp_node_ok
unset _rp_repo _rp_prefix
