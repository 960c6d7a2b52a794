import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { loadPolicyBundle } from "../src/index.ts"
import type { GateRequest, PassportFacts, PolicyBundleOptions } from "../src/index.ts"

export const repoFile = (relative: string) => fileURLToPath(new URL(`../../../${relative}`, import.meta.url))

export const defaultBundleBytes = () => readFileSync(repoFile("policies/bundle/bundle.tar.gz"))
export const fixtureBytes = (name: string) =>
  readFileSync(fileURLToPath(new URL(`./fixtures/policies/${name}.tar.gz`, import.meta.url)))

export const loadBundle = (bytes: Uint8Array, options?: PolicyBundleOptions) =>
  Effect.runPromise(loadPolicyBundle(bytes, options))

export const DIGEST = `sha256:${"3f1a9c0e".repeat(8)}`

export const passingRequest = (overrides: Partial<GateRequest> = {}): GateRequest => ({
  mode: "enforce",
  service: { name: "checkout-api", namespace: "apps-checkout", environment: "staging" },
  artifact: { digest: DIGEST },
  release: { releaseId: "gh-1", sourceSha: "9f3c8b7", renderedManifestPath: "rendered/checkout-api.yaml" },
  health: { ready: true, requireHealthyTarget: true },
  rollback: { available: true, verified: true },
  ...overrides
})

export const passportFor = (request: GateRequest): PassportFacts => ({
  id: "pp_test",
  releaseId: request.release.releaseId,
  artifactDigest: request.artifact.digest,
  sourceSha: request.release.sourceSha,
  service: { name: request.service.name, namespace: request.service.namespace }
})
