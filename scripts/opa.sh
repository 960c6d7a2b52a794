#!/usr/bin/env bash
# Runs the pinned OPA CLI: `scripts/opa.sh <opa arguments...>` from any directory.
#
# This file is the one place that pins the OPA version. OPA is a build-time tool only
# (build, fmt, check, test of policies/); the server and core never need it at run time.
# The binary lives in <repo>/.tools/bin (gitignored) and is installed with `go install`
# when it is missing or reports another version.
set -euo pipefail

OPA_VERSION=v1.22.3

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_bin="${repo_root}/.tools/bin"
opa_bin="${tools_bin}/opa"

installed_version() {
  # `opa version` prints "Version: 1.22.3" on its first line; empty when the binary is absent or broken.
  [ -x "${opa_bin}" ] || return 0
  local output
  output="$("${opa_bin}" version 2>/dev/null || true)"
  printf '%s\n' "${output}" | sed -n 's/^Version: *//p'
}

found="$(installed_version)"
if [ "${found}" != "${OPA_VERSION#v}" ]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "scripts/opa.sh: OPA ${OPA_VERSION} is needed in ${tools_bin} (found: ${found:-none}) and 'go' is not on PATH to install it." >&2
    echo "  Install Go (https://go.dev/dl/) and re-run, or put an opa ${OPA_VERSION} binary at ${opa_bin}." >&2
    exit 127
  fi
  echo "scripts/opa.sh: installing OPA ${OPA_VERSION} into ${tools_bin} (go install, takes a few minutes)..." >&2
  mkdir -p "${tools_bin}"
  # go install will not replace a file it did not build (e.g. a copied or broken binary).
  rm -f "${opa_bin}"
  GOBIN="${tools_bin}" go install "github.com/open-policy-agent/opa@${OPA_VERSION}" >&2
  actual="$(installed_version)"
  if [ "${actual}" != "${OPA_VERSION#v}" ]; then
    echo "scripts/opa.sh: expected OPA ${OPA_VERSION#v} after go install, found '${actual:-nothing}' at ${opa_bin}." >&2
    exit 1
  fi
fi

exec "${opa_bin}" "$@"
