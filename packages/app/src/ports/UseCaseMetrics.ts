import type { EvidenceOutcome, GateMode, VerdictKind } from "@releasepassport/core"
import { Context, Effect } from "effect"

/** One gate decision, as the operators' counters see it (no identifiers beyond the environment). */
export interface GateDecisionFact {
  readonly verdict: VerdictKind
  readonly mode: GateMode
  readonly environment: string
  /** Policy evaluation time, as the verdict measured it. */
  readonly evaluationMs: number
}

/** One accepted evidence batch: its items' outcomes and how many values were redacted. */
export interface EvidenceIngestFact {
  readonly outcomes: ReadonlyArray<EvidenceOutcome>
  readonly redactions: number
  /** A replay of an `Idempotency-Key` wrote nothing new. */
  readonly replayed: boolean
}

/**
 * Where the use cases publish what they decided, for operational metrics. The server
 * implements it with Prometheus counters; a composition without metrics (the CLI, tests) gets
 * the default, which records nothing. Publishing never fails and never changes an answer.
 */
export const UseCaseMetrics = Context.Reference<{
  readonly gateDecided: (fact: GateDecisionFact) => Effect.Effect<void>
  readonly evidenceIngested: (fact: EvidenceIngestFact) => Effect.Effect<void>
}>("@releasepassport/app/UseCaseMetrics", {
  defaultValue: () => ({ gateDecided: () => Effect.void, evidenceIngested: () => Effect.void })
})
