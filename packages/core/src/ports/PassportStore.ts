import { Context } from "effect"
import type { Effect } from "effect"
import type { StoreUnavailable } from "../errors.ts"
import type { Finding } from "../Finding.ts"
import type { GateMode } from "../GateRequest.ts"
import type { EvidenceFacts, PassportFacts } from "../PolicyInput.ts"
import type { Verdict, VerdictKind } from "../Verdict.ts"

export interface Passport extends PassportFacts {
  readonly workspaceId: string
  readonly createdAt: string
  readonly updatedAt: string
}

/** The latest verdict of a passport in one environment. */
export interface Stamp {
  readonly environment: string
  readonly verdict: VerdictKind
  readonly mode: GateMode
  readonly evaluationId: string
  readonly blockerCount: number
  readonly evaluatedAt: string
}

export interface GateEvaluation {
  readonly id: string
  readonly passportId: string
  readonly environment: string
  readonly mode: GateMode
  readonly verdict: VerdictKind
  readonly allowed: boolean
  readonly wouldBlock: boolean
  readonly blockers: ReadonlyArray<Finding>
  readonly warnings: ReadonlyArray<Finding>
  readonly policyRevision: string
  readonly bundleDigest: string
  readonly evaluatedAt: string
  readonly durationMs: number
}

/** What a gate evaluation decides on, read inside the same transaction that records it. */
export interface GateFacts {
  readonly passport: PassportFacts
  /** Newest version of each evidence item for the release. */
  readonly evidence: ReadonlyArray<EvidenceFacts>
}

export interface RecordGateEvaluation<E> {
  readonly workspaceId: string
  readonly service: { readonly namespace: string; readonly name: string }
  readonly releaseId: string
  /** What the release is first seen with, if this request creates its passport. */
  readonly artifactDigest: string
  readonly sourceSha: string
  readonly environment: string
  /** The request as received, kept with the evaluation for audit. */
  readonly request: unknown
  readonly tokenId: string | null
  readonly now: Date
  readonly decide: (facts: GateFacts) => Effect.Effect<Verdict, E>
}

export class PassportStore extends Context.Service<PassportStore, {
  /**
   * In one transaction: finds or creates the release's passport, reads its evidence,
   * runs `decide`, stores the evaluation and moves the environment's stamp. If anything
   * fails, nothing is written.
   */
  readonly recordGateEvaluation: <E>(
    input: RecordGateEvaluation<E>
  ) => Effect.Effect<{ readonly passport: Passport; readonly evaluation: GateEvaluation }, E | StoreUnavailable>
}>()("@releasepassport/core/ports/PassportStore") {}
