#!/usr/bin/env bash
# Validates Kubernetes manifests offline: `scripts/kubeconform.sh [kubeconform flags] <files or dirs>`.
#
# This file is the one place that pins the validator (kubeconform) and the Kubernetes version
# whose API the manifests are checked against. kubeconform normally downloads JSON schemas at
# run time; instead they are made here from the OpenAPI document that the pinned
# k8s.io/kubernetes Go module ships (api/openapi-spec/swagger.json), by
# scripts/kubernetes-json-schemas.mjs, so validation needs no network once installed.
# Both live in <repo>/.tools (gitignored) and are installed with the go command when missing.
set -euo pipefail

KUBECONFORM_VERSION=v0.8.0
KUBERNETES_VERSION=v1.36.3

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_bin="${repo_root}/.tools/bin"
kubeconform_bin="${tools_bin}/kubeconform"
# `go install` leaves no version in the binary's -v output ("development"), so a stamp beside it says which one it is.
kubeconform_stamp="${tools_bin}/.kubeconform-version"
schema_dir="${repo_root}/.tools/kubernetes-schemas/${KUBERNETES_VERSION}-strict"

need_go() {
  if ! command -v go >/dev/null 2>&1; then
    echo "scripts/kubeconform.sh: $1 is needed and 'go' is not on PATH to install it." >&2
    echo "  Install Go (https://go.dev/dl/) and re-run." >&2
    exit 127
  fi
}

if [ ! -x "${kubeconform_bin}" ] || [ "$(cat "${kubeconform_stamp}" 2>/dev/null || true)" != "${KUBECONFORM_VERSION}" ]; then
  need_go "kubeconform ${KUBECONFORM_VERSION} in ${tools_bin}"
  echo "scripts/kubeconform.sh: installing kubeconform ${KUBECONFORM_VERSION} into ${tools_bin} (go install)..." >&2
  mkdir -p "${tools_bin}"
  rm -f "${kubeconform_bin}" "${kubeconform_stamp}"
  GOBIN="${tools_bin}" go install "github.com/yannh/kubeconform/cmd/kubeconform@${KUBECONFORM_VERSION}" >&2
  printf '%s\n' "${KUBECONFORM_VERSION}" > "${kubeconform_stamp}"
fi

if [ ! -f "${schema_dir}/.complete" ]; then
  need_go "the Kubernetes ${KUBERNETES_VERSION} OpenAPI document"
  echo "scripts/kubeconform.sh: making JSON schemas for Kubernetes ${KUBERNETES_VERSION} in ${schema_dir}..." >&2
  # Outside any module, so no go.mod is read or written.
  module_dir="$(cd "${TMPDIR:-/tmp}" && go mod download -json "k8s.io/kubernetes@${KUBERNETES_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  swagger="${module_dir}/api/openapi-spec/swagger.json"
  if [ ! -f "${swagger}" ]; then
    echo "scripts/kubeconform.sh: no OpenAPI document at '${swagger}'" >&2
    exit 1
  fi
  # Written aside and moved into place, so an interrupted run never leaves a partial set behind.
  mkdir -p "${repo_root}/.tools"
  staging="$(mktemp -d "${repo_root}/.tools/kubernetes-schemas.XXXXXX")"
  chmod 755 "${staging}"
  node "${repo_root}/scripts/kubernetes-json-schemas.mjs" "${swagger}" "${staging}"
  touch "${staging}/.complete"
  mkdir -p "$(dirname "${schema_dir}")"
  rm -rf "${schema_dir}"
  mv "${staging}" "${schema_dir}"
fi

# The schemas are strict already (additionalProperties: false); -strict adds the check for duplicated keys.
exec "${kubeconform_bin}" \
  -kubernetes-version "${KUBERNETES_VERSION#v}" \
  -schema-location "${schema_dir}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
  "$@"
