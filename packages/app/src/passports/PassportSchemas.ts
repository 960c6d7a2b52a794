import { EvidenceStatus, Finding, GateMode, VerdictKind } from "@releasepassport/core"
import { Schema } from "effect"

/** What a reader sees of passports: the one shape the API, the console and reports share. */

export const PASSPORT_PAGE_MAX = 200

const ServiceView = Schema.Struct({ name: Schema.String, namespace: Schema.String })
const ReleaseView = Schema.Struct({ releaseId: Schema.String, sourceSha: Schema.String })

/** The latest verdict in one environment. */
export const EnvironmentVerdict = Schema.Struct({
  environment: Schema.String,
  verdict: VerdictKind,
  mode: GateMode,
  evaluationId: Schema.String,
  blockerCount: Schema.Int,
  evaluatedAt: Schema.String
})

export const PassportListItem = Schema.Struct({
  id: Schema.String,
  service: ServiceView,
  release: ReleaseView,
  artifactDigest: Schema.String,
  environments: Schema.Array(EnvironmentVerdict),
  /** Blockers of the latest verdicts, all environments together. */
  blockerCount: Schema.Int,
  createdAt: Schema.String,
  updatedAt: Schema.String
})

export const PassportPage = Schema.Struct({
  items: Schema.Array(PassportListItem),
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: Schema.NullOr(Schema.String)
})
export type PassportPage = typeof PassportPage.Type

export const EvaluationView = Schema.Struct({
  id: Schema.String,
  environment: Schema.String,
  mode: GateMode,
  verdict: VerdictKind,
  allowed: Schema.Boolean,
  wouldBlock: Schema.Boolean,
  blockers: Schema.Array(Finding),
  warnings: Schema.Array(Finding),
  policy: Schema.Struct({ revision: Schema.String, bundleDigest: Schema.String }),
  evaluatedAt: Schema.String,
  /** The evidence versions (ids) the verdict was decided on; null for evaluations recorded before this was kept. */
  evidenceIds: Schema.NullOr(Schema.Array(Schema.String))
})

export const EvidenceView = Schema.Struct({
  id: Schema.String,
  source: Schema.String,
  externalId: Schema.String,
  type: Schema.String,
  version: Schema.Int,
  /** The version the policies see. */
  latest: Schema.Boolean,
  status: EvidenceStatus,
  summary: Schema.String,
  url: Schema.NullOr(Schema.String),
  /** Sanitized details; null when there are none or they are private and you may not see them. */
  details: Schema.NullOr(Schema.Json),
  private: Schema.Boolean,
  detailsHidden: Schema.Boolean,
  artifactDigest: Schema.String,
  sourceSha: Schema.String,
  digestMismatch: Schema.Boolean,
  sourceShaMismatch: Schema.Boolean,
  observedAt: Schema.String,
  receivedAt: Schema.String,
  /** Whole seconds since it was observed, when the passport was read (the age the policies see). */
  ageSeconds: Schema.Int,
  /** Older than `evidenceMaxAge`: the policies treat it as stale. Always false without a maximum. */
  stale: Schema.Boolean
})

/** A policy revision that evaluated this passport, and what fired under it. */
export const PolicyUse = Schema.Struct({
  revision: Schema.String,
  bundleDigest: Schema.String,
  evaluations: Schema.Int,
  lastEvaluatedAt: Schema.String,
  rulesFired: Schema.Array(Schema.Struct({
    code: Schema.String,
    policy: Schema.String,
    severity: Schema.Literals(["deny", "warn"]),
    times: Schema.Int
  }))
})

export const CommentView = Schema.Struct({
  id: Schema.String,
  body: Schema.String,
  author: Schema.Struct({ id: Schema.String, displayName: Schema.String }),
  createdAt: Schema.String,
  /** Whether the signed-in user may delete it (their own; admins: any). */
  canDelete: Schema.Boolean
})
export type CommentView = typeof CommentView.Type

export const PassportDetailView = Schema.Struct({
  id: Schema.String,
  service: ServiceView,
  release: ReleaseView,
  artifactDigest: Schema.String,
  createdAt: Schema.String,
  updatedAt: Schema.String,
  /** The most severe latest verdict across environments (error > fail > warn > pass); null before any gate. */
  verdict: Schema.NullOr(VerdictKind),
  environments: Schema.Array(EnvironmentVerdict),
  /** The latest evaluation, with its blockers and warnings. */
  latest: Schema.NullOr(EvaluationView),
  /** Every evidence version, newest first (at most 500; see evidenceTotal). */
  evidence: Schema.Array(EvidenceView),
  evidenceTotal: Schema.Int,
  /**
   * The deciding policy's maximum evidence age that `stale` is measured against: the strictest
   * over the environments this passport was evaluated in (the bundle's default before any
   * gate), with the environment it applies to; null when the policy sets no maximum.
   */
  evidenceMaxAge: Schema.NullOr(Schema.Struct({ seconds: Schema.Finite, environment: Schema.NullOr(Schema.String) })),
  policies: Schema.Array(PolicyUse),
  /** Evaluations, newest first (at most 200; see evaluationsTotal). */
  evaluations: Schema.Array(EvaluationView),
  evaluationsTotal: Schema.Int,
  comments: Schema.Array(CommentView)
})
export type PassportDetailView = typeof PassportDetailView.Type


/** A new comment: the API and the console decode the same shape. */
export const NewComment = Schema.Struct({
  body: Schema.String.check(
    Schema.isMinLength(1, { message: "must not be empty" }),
    Schema.isMaxLength(4000, { message: "must be at most 4000 characters" })
  )
})

const VerdictCounts = { pass: Schema.Int, warn: Schema.Int, fail: Schema.Int, error: Schema.Int }

const EvaluationSummary = Schema.Struct({
  passportId: Schema.String,
  service: ServiceView,
  releaseId: Schema.String,
  environment: Schema.String,
  mode: GateMode,
  verdict: VerdictKind,
  evaluatedAt: Schema.String
})

/** A workspace at a glance: what the console's overview shows. */
export const PassportOverviewView = Schema.Struct({
  /** Latest verdicts: passports per verdict, per environment. */
  environments: Schema.Array(Schema.Struct({ environment: Schema.String, ...VerdictCounts })),
  /** Evaluations per UTC day, oldest first, every day of the window (zeros included). */
  days: Schema.Array(Schema.Struct({ day: Schema.String, ...VerdictCounts })),
  recent: Schema.Array(EvaluationSummary),
  /**
   * Latest verdicts that need someone: blocked under enforce, `error`, or a shadow verdict
   * that enforce would block.
   */
  attention: Schema.Array(Schema.Struct({
    ...EvaluationSummary.fields,
    reason: Schema.Literals(["blocked", "error", "would_block"])
  }))
})
export type PassportOverviewView = typeof PassportOverviewView.Type
