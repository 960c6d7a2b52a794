import { Context } from "effect"
import type { Effect } from "effect"
import type { StoreUnavailable } from "../errors.ts"
import type { Finding } from "../Finding.ts"
import type { CandidateOutcome } from "./PassportStore.ts"
import type { PolicyInput } from "../PolicyInput.ts"
import type { VerdictKind } from "../Verdict.ts"

/** Which pointer of a workspace a change moved: the bundle that decides, or the one in shadow. */
export type PolicyPointer = "active" | "candidate"

/** A bundle uploaded to a workspace (facts only: the bytes are read apart, when loading). */
export interface StoredPolicyBundle {
  readonly workspaceId: string
  /** `sha256:<hex>` of the bytes: the bundle's identity. */
  readonly digest: string
  /** The bundle's `.manifest` revision, as loaded when it was validated. */
  readonly revision: string
  readonly sizeBytes: number
  /** Who uploaded it: `user:<id>` or `token:<id>`. */
  readonly uploadedBy: string
  readonly uploadedAt: string
}

/** One change of a workspace's active or candidate bundle; `null` is "none" (the server default). */
export interface PolicyChange {
  readonly kind: PolicyPointer
  readonly fromDigest: string | null
  readonly toDigest: string | null
  readonly changedBy: string
  readonly changedAt: string
}

/** Which bundles a workspace decides with; `undefined` is the server's default bundle / no candidate. */
export interface WorkspacePolicyPointers {
  readonly workspaceId: string
  readonly activeDigest: string | undefined
  readonly candidateDigest: string | undefined
}

/** A gate evaluation that also ran the workspace's candidate: both verdicts, for the candidate report. */
export interface ShadowedEvaluation {
  readonly evaluationId: string
  readonly passportId: string
  readonly environment: string
  readonly evaluatedAt: string
  readonly verdict: VerdictKind
  readonly blockers: ReadonlyArray<Finding>
  readonly revision: string
  readonly candidate: CandidateOutcome
}

/** A past gate evaluation with the exact input it was decided on, to replay against another bundle. */
export interface ReplayableEvaluation {
  readonly evaluationId: string
  readonly passportId: string
  readonly environment: string
  readonly evaluatedAt: string
  readonly verdict: VerdictKind
  readonly blockers: ReadonlyArray<Finding>
  readonly revision: string
  readonly policyInput: PolicyInput
}

/**
 * Per-workspace policy bundles, the workspace's active and candidate pointers, and the history
 * of every pointer change. The use case validates a bundle before it is saved; the store keeps
 * what it is given.
 */
export class PolicyBundleStore extends Context.Service<PolicyBundleStore, {
  /** Stores a bundle; uploading the same bytes again keeps the first upload (`created: false`). */
  readonly save: (input: {
    readonly workspaceId: string
    readonly digest: string
    readonly revision: string
    readonly bytes: Uint8Array
    readonly uploadedBy: string
    readonly now: Date
  }) => Effect.Effect<{ readonly bundle: StoredPolicyBundle; readonly created: boolean }, StoreUnavailable>
  /** The bytes of a workspace's bundle; undefined when the workspace has no bundle with that digest. */
  readonly bytes: (input: { readonly workspaceId: string; readonly digest: string }) => Effect.Effect<Uint8Array | undefined, StoreUnavailable>
  /** The workspace's bundles, newest first. */
  readonly list: (workspaceId: string) => Effect.Effect<ReadonlyArray<StoredPolicyBundle>, StoreUnavailable>
  /** The workspace's pointer changes, newest first (at most `limit`). */
  readonly history: (input: { readonly workspaceId: string; readonly limit: number }) => Effect.Effect<ReadonlyArray<PolicyChange>, StoreUnavailable>
  /** The workspace's evaluations since `since` that also ran a candidate, newest first, at most `limit`. */
  readonly shadowedEvaluations: (input: {
    readonly workspaceId: string
    readonly since: Date
    readonly limit: number
  }) => Effect.Effect<ReadonlyArray<ShadowedEvaluation>, StoreUnavailable>
  /**
   * The workspace's evaluations in [since, until) that kept their policy input (optionally in one
   * environment), oldest first, at most `limit`, after skipping the first `offset` (default 0):
   * with `until` in the past the list is stable, so it can be read page by page.
   */
  readonly replayableEvaluations: (input: {
    readonly workspaceId: string
    readonly since: Date
    readonly until: Date
    readonly environment?: string | undefined
    readonly limit: number
    readonly offset?: number | undefined
  }) => Effect.Effect<ReadonlyArray<ReplayableEvaluation>, StoreUnavailable>
  /** How many evaluations `replayableEvaluations` has in that window, without a limit. */
  readonly countReplayable: (input: {
    readonly workspaceId: string
    readonly since: Date
    readonly until: Date
    readonly environment?: string | undefined
  }) => Effect.Effect<number, StoreUnavailable>
  /**
   * The newest evaluation of one of the workspace's passports that kept its policy input
   * (undefined when there is none: no such passport here, or only evaluations from before inputs
   * were kept). Ties on the instant go to the larger id, as everywhere evaluations are ordered.
   */
  readonly latestReplayable: (input: {
    readonly workspaceId: string
    readonly passportId: string
  }) => Effect.Effect<ReplayableEvaluation | undefined, StoreUnavailable>
  /** The workspace's pointers (both undefined when it never had any). */
  readonly pointers: (workspaceId: string) => Effect.Effect<WorkspacePolicyPointers, StoreUnavailable>
  /** Every workspace that has (or had) a pointer: what a replica polls to notice a switch. */
  readonly allPointers: Effect.Effect<ReadonlyArray<WorkspacePolicyPointers>, StoreUnavailable>
  /**
   * Points `kind` at `digest` (null: back to none) and records the change, in one transaction.
   * `missing` when the workspace has no bundle with that digest (nothing changes); `unchanged`
   * when it already pointed there (nothing is recorded).
   */
  readonly point: (input: {
    readonly workspaceId: string
    readonly kind: PolicyPointer
    readonly digest: string | null
    readonly changedBy: string
    readonly now: Date
  }) => Effect.Effect<
    | { readonly _tag: "Changed"; readonly change: PolicyChange }
    | { readonly _tag: "Unchanged" }
    | { readonly _tag: "Missing" },
    StoreUnavailable
  >
}>()("@releasepassport/core/ports/PolicyBundleStore") {}
