// The documented gate request (API reference), with a well-formed digest instead of
// "sha256:abc123...": what bench:compare and bench:memory send.
export const DIGEST = `sha256:${"3f1a9c0e7b5d2f4a".repeat(4)}`
export const gateRequest = {
  mode: "shadow",
  service: { name: "checkout-api", namespace: "apps-checkout", environment: "production" },
  artifact: { digest: DIGEST },
  release: { releaseId: "gh-123456", sourceSha: "9f3c8b7", renderedManifestPath: "rendered/checkout-api.yaml" },
  health: { ready: true, requireHealthyTarget: true },
  rollback: { available: true, verified: false }
}
