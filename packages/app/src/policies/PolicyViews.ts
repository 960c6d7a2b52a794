import { Finding, VerdictKind } from "@releasepassport/core"
import type { PolicyChange, ReplayableEvaluation, StoredPolicyBundle } from "@releasepassport/core"
import { Schema } from "effect"

/** A workspace's bundle as the API and the CLI show it. */
export const PolicyBundleView = Schema.Struct({
  digest: Schema.String,
  revision: Schema.String,
  sizeBytes: Schema.Int,
  uploadedBy: Schema.String,
  uploadedAt: Schema.String,
  active: Schema.Boolean,
  candidate: Schema.Boolean
})
export type PolicyBundleView = typeof PolicyBundleView.Type

/** One move of the active or candidate pointer; `null` is none (the server's default bundle). */
export const PolicyChangeView = Schema.Struct({
  kind: Schema.Literals(["active", "candidate"]),
  fromDigest: Schema.NullOr(Schema.String),
  toDigest: Schema.NullOr(Schema.String),
  changedBy: Schema.String,
  changedAt: Schema.String
})
export type PolicyChangeView = typeof PolicyChangeView.Type

/**
 * A bundle a pointer names that the replica answering could not load: never half active, the
 * bundle `inPlace` keeps deciding (null: the server's default) or stays the candidate (null: none).
 */
export const PolicyLoadProblemView = Schema.Struct({
  kind: Schema.Literals(["active", "candidate"]),
  digest: Schema.String,
  reason: Schema.String,
  inPlace: Schema.NullOr(Schema.String)
})
export type PolicyLoadProblemView = typeof PolicyLoadProblemView.Type

/** `GET /policies`: the workspace's bundles, which is active and which is the candidate, and the latest changes. */
export const PolicyOverview = Schema.Struct({
  /** Digest of the active bundle; null: the workspace decides with the server's default bundle. */
  active: Schema.NullOr(Schema.String),
  candidate: Schema.NullOr(Schema.String),
  bundles: Schema.Array(PolicyBundleView),
  history: Schema.Array(PolicyChangeView),
  /** Bundles the pointers name that this replica could not load (empty when all decide as pointed). */
  loadProblems: Schema.Array(PolicyLoadProblemView)
})
export type PolicyOverview = typeof PolicyOverview.Type

export const UploadedPolicyBundle = Schema.Struct({
  bundle: PolicyBundleView,
  /** False when the workspace already had these exact bytes (the first upload is kept). */
  created: Schema.Boolean
})
export type UploadedPolicyBundle = typeof UploadedPolicyBundle.Type

/** The answer to an activation: the change made, or null when the bundle was already in place. */
export const PolicySwitch = Schema.Struct({ change: Schema.NullOr(PolicyChangeView) })
export type PolicySwitch = typeof PolicySwitch.Type

export const toPolicyBundleView = (
  bundle: StoredPolicyBundle,
  pointers: { readonly activeDigest: string | undefined; readonly candidateDigest: string | undefined }
): PolicyBundleView => ({
  digest: bundle.digest,
  revision: bundle.revision,
  sizeBytes: bundle.sizeBytes,
  uploadedBy: bundle.uploadedBy,
  uploadedAt: bundle.uploadedAt,
  active: bundle.digest === pointers.activeDigest,
  candidate: bundle.digest === pointers.candidateDigest
})

export const toPolicyChangeView = (change: PolicyChange): PolicyChangeView => ({
  kind: change.kind,
  fromDigest: change.fromDigest,
  toDigest: change.toDigest,
  changedBy: change.changedBy,
  changedAt: change.changedAt
})

/**
 * `GET /passports/{id}/policy-input`: a passport's newest evaluation that kept its input, with
 * the verdict it got then, to re-run through another bundle (`policy eval --passport`).
 */
export const PassportPolicyInput = Schema.Struct({
  passportId: Schema.String,
  evaluationId: Schema.String,
  environment: Schema.String,
  evaluatedAt: Schema.String,
  /** The exact policy input the stored verdict was decided on (built from sanitized facts). */
  policyInput: Schema.Unknown,
  stored: Schema.Struct({
    verdict: VerdictKind,
    blockers: Schema.Array(Finding),
    revision: Schema.String
  }),
  /** The workspace's active bundle now; null: the server's default bundle. */
  active: Schema.NullOr(Schema.String)
})
export type PassportPolicyInput = typeof PassportPolicyInput.Type

export const toPassportPolicyInput = (evaluation: ReplayableEvaluation, active: string | undefined): PassportPolicyInput => ({
  passportId: evaluation.passportId,
  evaluationId: evaluation.evaluationId,
  environment: evaluation.environment,
  evaluatedAt: evaluation.evaluatedAt,
  policyInput: evaluation.policyInput,
  stored: { verdict: evaluation.verdict, blockers: evaluation.blockers, revision: evaluation.revision },
  active: active ?? null
})
