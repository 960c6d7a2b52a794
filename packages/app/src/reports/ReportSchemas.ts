import { EvidenceStatus, GateMode, VerdictKind } from "@releasepassport/core"
import { Schema } from "effect"

/** What a reader sees of reports: the one shape the API, the CLI and the console share. */

export const ReportWindowView = Schema.Struct({ since: Schema.String, until: Schema.String })

const Tally = Schema.Struct({ evaluations: Schema.Int, releases: Schema.Int })

/** One rule enforce would have blocked on (or did block on), over the window. */
export const RuleImpact = Schema.Struct({
  code: Schema.String,
  evaluations: Schema.Int,
  releases: Schema.Int,
  firstAt: Schema.String,
  lastAt: Schema.String,
  /** A few passport ids where it fired, oldest first. */
  examples: Schema.Array(Schema.String)
})

export const ServiceImpact = Schema.Struct({
  namespace: Schema.String,
  service: Schema.String,
  evaluations: Schema.Int,
  releases: Schema.Int
})

export const EnvironmentImpact = Schema.Struct({
  environment: Schema.String,
  evaluations: Schema.Int,
  releases: Schema.Int
})

const Blocking = Schema.Struct({
  evaluations: Schema.Int,
  releases: Schema.Int,
  byRule: Schema.Array(RuleImpact),
  byService: Schema.Array(ServiceImpact),
  byEnvironment: Schema.Array(EnvironmentImpact)
})

/**
 * Shadow impact: what enforce would have blocked among shadow evaluations (`wouldBlock`,
 * verdict `fail`), with `error` verdicts apart (a broken policy is not a policy finding), the
 * shadow evaluations that were and would have been allowed (counted, never labelled), and the
 * enforce-mode blocks of the same window beside them.
 */
export const ImpactReport = Schema.Struct({
  window: ReportWindowView,
  filters: Schema.Struct({
    environment: Schema.NullOr(Schema.String),
    service: Schema.NullOr(Schema.String),
    namespace: Schema.NullOr(Schema.String)
  }),
  shadow: Schema.Struct({
    evaluations: Schema.Int,
    releases: Schema.Int,
    wouldBlock: Blocking,
    wouldAllow: Tally,
    errors: Tally
  }),
  enforce: Schema.Struct({
    evaluations: Schema.Int,
    releases: Schema.Int,
    blocked: Blocking,
    allowed: Tally,
    errors: Tally
  }),
  generatedAt: Schema.String
})
export type ImpactReport = typeof ImpactReport.Type

const FindingView = Schema.Struct({
  code: Schema.String,
  policy: Schema.String,
  message: Schema.String,
  remediation: Schema.NullOr(Schema.String)
})

/** A passport for a change record: built field by field; never a private item's details. */
export const PassportReport = Schema.Struct({
  reportVersion: Schema.Literal(1),
  generatedAt: Schema.String,
  workspace: Schema.String,
  passport: Schema.Struct({
    id: Schema.String,
    service: Schema.Struct({ name: Schema.String, namespace: Schema.String }),
    releaseId: Schema.String,
    artifactDigest: Schema.String,
    sourceSha: Schema.String,
    createdAt: Schema.String,
    updatedAt: Schema.String
  }),
  environments: Schema.Array(Schema.Struct({
    environment: Schema.String,
    verdict: VerdictKind,
    mode: GateMode,
    evaluatedAt: Schema.String,
    /** The environment's evaluations, newest first. */
    history: Schema.Array(Schema.Struct({
      evaluationId: Schema.String,
      mode: GateMode,
      verdict: VerdictKind,
      allowed: Schema.Boolean,
      wouldBlock: Schema.Boolean,
      blockerCodes: Schema.Array(Schema.String),
      policyRevision: Schema.String,
      bundleDigest: Schema.String,
      evaluatedAt: Schema.String
    }))
  })),
  /** The blockers of each environment's latest verdict, with their remediation. */
  blockers: Schema.Array(Schema.Struct({ environment: Schema.String, ...FindingView.fields })),
  evidence: Schema.Array(Schema.Struct({
    id: Schema.String,
    type: Schema.String,
    status: EvidenceStatus,
    source: Schema.String,
    version: Schema.Int,
    latest: Schema.Boolean,
    observedAt: Schema.String,
    /** Seconds from observation to the report. */
    ageSeconds: Schema.Int,
    private: Schema.Boolean,
    /** sha256 of the sanitized details as stored (canonical JSON); null for private items and items without details. */
    detailsSha256: Schema.NullOr(Schema.String)
  })),
  policies: Schema.Array(Schema.Struct({ revision: Schema.String, bundleDigest: Schema.String, evaluations: Schema.Int })),
  comments: Schema.Array(Schema.Struct({ author: Schema.String, createdAt: Schema.String, body: Schema.String })),
  /** True when the passport had more evaluations or evidence than a report lists. */
  truncated: Schema.Boolean
})
export type PassportReport = typeof PassportReport.Type
