#!/usr/bin/env bash
# Runs a command with Node >= 22.19 first on PATH (see use-node.sh): `scripts/with-node.sh npm test`.
set -euo pipefail
# shellcheck source=scripts/use-node.sh
source "$(dirname "${BASH_SOURCE[0]}")/use-node.sh"
exec "$@"
