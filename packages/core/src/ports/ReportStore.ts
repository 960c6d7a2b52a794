import { Context } from "effect"
import type { Effect } from "effect"
import type { StoreUnavailable } from "../errors.ts"
import type { GateMode } from "../GateRequest.ts"
import type { VerdictKind } from "../Verdict.ts"
import type { EvaluationVerdict } from "./PassportStore.ts"

/** Which evaluations a report covers; every filter narrows (AND). The window is [since, until). */
export interface DecisionQuery {
  readonly workspaceId: string
  /** RFC 3339, inclusive. */
  readonly since: string
  /** RFC 3339, exclusive. */
  readonly until: string
  readonly service?: string
  readonly namespace?: string
  readonly environment?: string
  readonly verdict?: VerdictKind
  readonly mode?: GateMode
}

/** Position in the oldest-first walk: the last row's evaluation time and id. */
export interface DecisionCursor {
  readonly evaluatedAt: string
  readonly id: string
}

/**
 * One gate evaluation as a report sees it: the evaluation, the release it was for, and the
 * token that asked (its id and name; the value is never stored). Never the stored request.
 */
export interface DecisionRecord extends EvaluationVerdict {
  readonly evaluationId: string
  readonly workspaceSlug: string
  readonly service: string
  readonly namespace: string
  readonly releaseId: string
  readonly artifactDigest: string
  readonly sourceSha: string
  readonly token: { readonly id: string; readonly name: string } | null
}

/** Read-only access for reports: walks a window of decisions in pages, so no report holds them all. */
export class ReportStore extends Context.Service<ReportStore, {
  /** Up to `limit` decisions of the query, oldest first (evaluation time, then id), after `after`. */
  readonly decisions: (query: DecisionQuery & {
    readonly limit: number
    readonly after?: DecisionCursor
  }) => Effect.Effect<ReadonlyArray<DecisionRecord>, StoreUnavailable>
}>()("@releasepassport/core/ports/ReportStore") {}
