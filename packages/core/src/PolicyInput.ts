import type { EvidenceStatus } from "./EvidenceStatus.ts"
import type { GateRequest } from "./GateRequest.ts"
import { evidenceAgeSeconds } from "./PolicyParameters.ts"

/** What the release was first seen with: the identity later requests are checked against. */
export interface PassportFacts {
  readonly id: string
  readonly releaseId: string
  readonly artifactDigest: string
  readonly sourceSha: string
  readonly service: { readonly name: string; readonly namespace: string }
}


/** The newest version of one evidence item, as the policies see it. */
export interface EvidenceFacts {
  readonly id: string
  readonly source: string
  readonly type: string
  readonly status: EvidenceStatus
  readonly summary: string
  readonly artifactDigest: string
  readonly sourceSha: string
  /** RFC 3339. */
  readonly observedAt: string
  /** RFC 3339. */
  readonly receivedAt: string
}

export const ConnectorFreshnesses = ["fresh", "stale", "silent", "never_seen"] as const
export type ConnectorFreshness = (typeof ConnectorFreshnesses)[number]

export interface ConnectorFacts {
  readonly source: string
  readonly freshness: ConnectorFreshness
  /** Environments whose required evidence comes from this connector. */
  readonly environments: ReadonlyArray<string>
}

export interface GateContext {
  readonly request: GateRequest
  readonly passport: PassportFacts
  readonly evidence?: ReadonlyArray<EvidenceFacts>
  readonly connectors?: ReadonlyArray<ConnectorFacts>
  /** The caller's clock: policies have no clock of their own. */
  readonly now: Date
}

/** The document handed to the policy as `input` (see policies/README.md). */
export interface PolicyInput {
  readonly request: GateRequest
  readonly passport: PassportFacts
  readonly evidence: ReadonlyArray<EvidenceFacts & { readonly ageSeconds: number }>
  readonly connectors: ReadonlyArray<ConnectorFacts>
  readonly now: string
}

/**
 * Builds the policy input. Ages are computed here, by the host, because the wasm
 * policies have no clock; evidence observed "in the future" (clock skew) has age 0.
 */
export const buildPolicyInput = (context: GateContext): PolicyInput => {
  const nowMs = context.now.getTime()
  return {
    request: context.request,
    passport: context.passport,
    evidence: (context.evidence ?? []).map((item) => ({
      ...item,
      ageSeconds: evidenceAgeSeconds(item.observedAt, nowMs)
    })),
    connectors: context.connectors ?? [],
    now: context.now.toISOString()
  }
}
