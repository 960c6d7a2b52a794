import type { GateRequest } from "@releasepassport/core"

/** The gate request exactly as documented in the API reference (digest `sha256:abc123...`). */
export const documentedGateRequest = {
  mode: "shadow",
  service: { name: "checkout-api", namespace: "apps-checkout", environment: "production" },
  artifact: { digest: "sha256:abc123..." },
  release: { releaseId: "gh-123456", sourceSha: "9f3c8b7", renderedManifestPath: "rendered/checkout-api.yaml" },
  health: { ready: true, requireHealthyTarget: true },
  rollback: { available: true, verified: false }
} as const satisfies GateRequest

export const VALID_DIGEST = `sha256:${"3f1a9c0e".repeat(8)}`

let counter = 0
/** A request that passes the bundled policies (staging needs no evidence), for a fresh release. */
export const passingGateRequest = (overrides: Partial<GateRequest> = {}): GateRequest => ({
  mode: "enforce",
  service: { name: "checkout-api", namespace: "apps-checkout", environment: "staging" },
  artifact: { digest: VALID_DIGEST },
  release: { releaseId: `rel-${Date.now()}-${counter++}`, sourceSha: "9f3c8b7", renderedManifestPath: "rendered/app.yaml" },
  health: { ready: true, requireHealthyTarget: true },
  rollback: { available: true, verified: true },
  ...overrides
})
