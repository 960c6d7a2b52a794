import { Context } from "effect"
import type { Effect } from "effect"
import type { Connector } from "../Connector.ts"
import type { StoreUnavailable } from "../errors.ts"
import type { Finding } from "../Finding.ts"
import type { GateMode } from "../GateRequest.ts"
import type { EvidenceFacts, PassportFacts, PolicyInput } from "../PolicyInput.ts"
import type { PolicyRef, Verdict, VerdictKind } from "../Verdict.ts"
import type { IdempotencyClaim, IdempotencyKeyReused } from "./Idempotency.ts"

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

/** One recorded gate evaluation: core's `Verdict` (less its policy entrypoint) plus where it is kept. */
/**
 * What a gate evaluation decided, as every reader of stored evaluations sees it (the passport,
 * reports): one shape, so a field added to the verdict is added once.
 */
export type EvaluationVerdict = Pick<
  GateEvaluation,
  "passportId" | "environment" | "mode" | "verdict" | "allowed" | "wouldBlock" | "blockers" | "warnings" | "policyRevision" | "bundleDigest" | "evaluatedAt"
>

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
  /** Ids of the evidence versions the verdict was decided on; null for evaluations older than that record. */
  readonly evidenceIds: ReadonlyArray<string> | null
}

/** Names a release's passport; what it is first seen with, if reading its facts creates it. */
export interface PassportIdentity {
  readonly workspaceId: string
  readonly service: { readonly namespace: string; readonly name: string }
  readonly releaseId: string
  readonly artifactDigest: string
  readonly sourceSha: string
  readonly now: Date
}

/** What a gate evaluation decides on. */
export interface GateFacts {
  /**
   * The release's passport; for a release never seen, the passport it would get (an id the
   * store chose, and what the request names), which only recording the evaluation creates.
   */
  readonly passport: PassportFacts
  /** False for a release never seen: its passport does not exist until the evaluation is recorded. */
  readonly exists: boolean
  /** Newest version of each evidence item for the release. */
  readonly evidence: ReadonlyArray<EvidenceFacts>
  /**
   * The workspace's connectors, by source: the policy sees how fresh each one is. Read with the
   * passport (one statement, one round trip on a database server) rather than by ConnectorStore.
   */
  readonly connectors: ReadonlyArray<Connector>
}

/**
 * What the workspace's candidate bundle decided on the same input, in shadow: recorded beside
 * the verdict, never deciding `allowed`.
 */
export interface CandidateOutcome {
  readonly verdict: VerdictKind
  readonly blockers: ReadonlyArray<Finding>
  readonly warnings: ReadonlyArray<Finding>
  readonly revision: string
  readonly bundleDigest: string
}

export interface RecordGateEvaluation {
  /** The identity the facts were read for. */
  readonly identity: PassportIdentity
  /** The facts the verdict was decided on (`gateFacts`). */
  readonly decidedOn: Pick<GateFacts, "passport" | "exists">
  readonly environment: string
  readonly verdict: Verdict
  /** The request as received, kept with the evaluation for audit. */
  readonly request: unknown
  readonly tokenId: string | null
  /** The evidence versions the verdict was decided on (`GateFacts.evidence`). */
  readonly evidenceIds: ReadonlyArray<string>
  /** The candidate bundle's verdict on the same input, when the workspace has a candidate. */
  readonly candidate?: CandidateOutcome
  /** The exact input the policy decided on (built from sanitized facts), so the decision can be replayed. */
  readonly policyInput?: PolicyInput
  /**
   * With an `Idempotency-Key`: claimed inside the same transaction, so however many times a
   * request is retried (or races itself) one evaluation is recorded; a replay answers the first
   * record and writes nothing; the key with another `requestHash` is `IdempotencyKeyReused`.
   */
  readonly idempotency?: IdempotencyClaim
  readonly now: Date
}

/**
 * What recording an evaluation answered: kept with its `Idempotency-Key`, so a replay answers
 * exactly the same (the passport as it was then, the evaluation, the policy that decided and
 * the candidate's shadow verdict).
 */
export interface RecordedGateEvaluation {
  readonly passport: Passport
  readonly evaluation: GateEvaluation
  readonly policy: PolicyRef
  readonly candidate: CandidateOutcome | null
}

/** Filters of the passport list; every one narrows (AND). */
export interface PassportListQuery {
  readonly workspaceId: string
  readonly service?: string
  readonly namespace?: string
  /** Passports with a verdict in this environment (with `verdict`/`mode`: that verdict there). */
  readonly environment?: string
  readonly verdict?: VerdictKind
  readonly mode?: GateMode
  /** Updated at or after this instant (RFC 3339). */
  readonly since?: string
  readonly limit: number
  /** Continue after this passport (the last one of the previous page). */
  readonly after?: PassportCursor
}

/** Position in the newest-first list: the last row's update time and id. */
export interface PassportCursor {
  readonly updatedAt: string
  readonly id: string
}

export interface PassportSummary {
  readonly passport: Passport
  /** Latest verdict per environment. */
  readonly stamps: ReadonlyArray<Stamp>
}

/** One version of an evidence item, as the passport's timeline shows it. */
export interface EvidenceVersion {
  readonly id: string
  readonly source: string
  readonly externalId: string
  readonly type: string
  readonly version: number
  /** This is the version the policies see. */
  readonly latest: boolean
  readonly status: EvidenceFacts["status"]
  readonly summary: string
  readonly url: string | null
  /** Sanitized when stored; `private` items show them to admins and owners only. */
  readonly details: unknown
  readonly private: boolean
  readonly artifactDigest: string
  readonly sourceSha: string
  readonly digestMismatch: boolean
  readonly sourceShaMismatch: boolean
  readonly observedAt: string
  readonly receivedAt: string
}

export interface PassportDetail {
  readonly passport: Passport
  readonly stamps: ReadonlyArray<Stamp>
  /** Newest first, at most `limits.evaluations`. */
  readonly evaluations: ReadonlyArray<GateEvaluation>
  readonly evaluationsTotal: number
  /** Every version, newest first, at most `limits.evidence`. */
  readonly evidence: ReadonlyArray<EvidenceVersion>
  readonly evidenceTotal: number
}

/** What the console's overview reads of a workspace in one go: counts, not rows. */
export interface PassportOverviewQuery {
  readonly workspaceId: string
  /** Evaluations at or after this instant count towards the days. */
  readonly since: Date
  /** How many of the newest evaluations, and of the stamps needing attention, to return. */
  readonly limit: number
}

export interface PassportOverview {
  /** Latest verdicts ("stamps"): how many passports have each verdict, per environment and mode. */
  readonly stamps: ReadonlyArray<{ readonly environment: string; readonly mode: GateMode; readonly verdict: VerdictKind; readonly count: number }>
  /** Evaluations since `since`, per UTC day (YYYY-MM-DD) and verdict. */
  readonly days: ReadonlyArray<{ readonly day: string; readonly verdict: VerdictKind; readonly count: number }>
  /** The newest evaluations, with the passport each belongs to. */
  readonly recent: ReadonlyArray<{ readonly passport: Passport; readonly evaluation: GateEvaluation }>
  /** Latest verdicts that are `fail` or `error` (blocked, or would be under enforce), newest first. */
  readonly failing: ReadonlyArray<{ readonly passport: Passport; readonly stamp: Stamp }>
}

export class PassportStore extends Context.Service<PassportStore, {
  /**
   * The release's passport, the newest version of each of its evidence items and the
   * workspace's connectors. Reads only:
   * no transaction is held afterwards, so the policy runs while other requests write.
   */
  readonly gateFacts: (identity: PassportIdentity) => Effect.Effect<GateFacts, StoreUnavailable>
  /**
   * In one short transaction: creates the passport if the facts said it was new, stores the
   * evaluation, moves the environment's stamp (never back in time) and the passport's update
   * time. If anything fails, nothing is written. `Stale` (and nothing written) when another
   * request created the release's passport after the facts were read: the verdict was decided
   * on a passport that never existed, so the caller reads the facts again. With
   * `idempotency`, a key already answered gives that answer back (`replayed`, nothing written).
   */
  readonly recordGateEvaluation: (input: RecordGateEvaluation) => Effect.Effect<
    | ({ readonly _tag: "Recorded"; readonly replayed: boolean } & RecordedGateEvaluation)
    | { readonly _tag: "Stale" },
    StoreUnavailable | IdempotencyKeyReused
  >
  /**
   * Reads only: the first answer to a key still within its window (undefined when the key is
   * unknown or expired), or `IdempotencyKeyReused` when it was claimed for another request.
   * Lets a retried request skip the policy evaluation; the claim itself is made by
   * `recordGateEvaluation`.
   */
  readonly gateReplay: (input: {
    readonly workspaceId: string
    readonly idempotency: IdempotencyClaim
    readonly now: Date
  }) => Effect.Effect<RecordedGateEvaluation | undefined, StoreUnavailable | IdempotencyKeyReused>
  /**
   * Deletes at most `limit` gate evaluations made before `before`, never one that a passport's
   * stamp points at (each environment's latest verdict stays). Returns how many went; the caller
   * repeats in small batches so no write holds the database for long.
   */
  readonly pruneEvaluations: (input: { readonly before: Date; readonly limit: number }) => Effect.Effect<number, StoreUnavailable>
  /** A page of the workspace's passports, most recently updated first, and where the next page starts. */
  readonly list: (query: PassportListQuery) => Effect.Effect<
    { readonly items: ReadonlyArray<PassportSummary>; readonly next: PassportCursor | undefined },
    StoreUnavailable
  >
  /** One passport of the workspace; undefined when there is none there. */
  readonly find: (input: { readonly workspaceId: string; readonly id: string }) => Effect.Effect<
    Passport | undefined,
    StoreUnavailable
  >
  /** One passport of the workspace with its history; undefined when there is none there. */
  readonly findDetail: (input: {
    readonly workspaceId: string
    readonly id: string
    readonly limits: { readonly evaluations: number; readonly evidence: number }
  }) => Effect.Effect<PassportDetail | undefined, StoreUnavailable>
  /** The workspace at a glance (the console's overview). */
  readonly overview: (query: PassportOverviewQuery) => Effect.Effect<PassportOverview, StoreUnavailable>
}>()("@releasepassport/core/ports/PassportStore") {}
