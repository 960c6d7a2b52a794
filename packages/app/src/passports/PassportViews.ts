import type {
  Comment,
  EvidenceVersion,
  GateEvaluation,
  PassportDetail,
  PassportSummary,
  Stamp,
  VerdictKind
} from "@releasepassport/core"
import { evidenceAgeSeconds, isEvidenceStale, maxEvidenceAgeSeconds } from "@releasepassport/core"
import type { CommentView, PassportDetailView, PassportPage } from "./PassportSchemas.ts"

/**
 * What the console sees of passports: built field by field from the stores' values, so
 * nothing the viewer may not see (private details) can slip through by accident.
 */

const SEVERITY: Record<VerdictKind, number> = { pass: 0, warn: 1, fail: 2, error: 3 }

/** The most severe of the latest verdicts; null when no environment has one yet. */
export const overallVerdict = (stamps: ReadonlyArray<Stamp>): VerdictKind | null =>
  stamps.reduce<VerdictKind | null>((worst, stamp) =>
    worst === null || SEVERITY[stamp.verdict] > SEVERITY[worst] ? stamp.verdict : worst, null)

const environmentView = (stamp: Stamp) => ({
  environment: stamp.environment,
  verdict: stamp.verdict,
  mode: stamp.mode,
  evaluationId: stamp.evaluationId,
  blockerCount: stamp.blockerCount,
  evaluatedAt: stamp.evaluatedAt
})

export const listItemView = ({ passport, stamps }: PassportSummary): PassportPage["items"][number] => ({
  id: passport.id,
  service: { name: passport.service.name, namespace: passport.service.namespace },
  release: { releaseId: passport.releaseId, sourceSha: passport.sourceSha },
  artifactDigest: passport.artifactDigest,
  environments: stamps.map(environmentView),
  blockerCount: stamps.reduce((sum, stamp) => sum + stamp.blockerCount, 0),
  createdAt: passport.createdAt,
  updatedAt: passport.updatedAt
})

/** The verdict part of a recorded evaluation: the one shape the gate's answer and the views share. */
export const verdictOf = (evaluation: GateEvaluation) => ({
  mode: evaluation.mode,
  verdict: evaluation.verdict,
  allowed: evaluation.allowed,
  wouldBlock: evaluation.wouldBlock,
  blockers: evaluation.blockers,
  warnings: evaluation.warnings
})

const evaluationView = (evaluation: GateEvaluation) => ({
  id: evaluation.id,
  environment: evaluation.environment,
  ...verdictOf(evaluation),
  policy: { revision: evaluation.policyRevision, bundleDigest: evaluation.bundleDigest },
  evaluatedAt: evaluation.evaluatedAt,
  evidenceIds: evaluation.evidenceIds
})

/** The limit evidence is measured against, from the deciding bundle's data (see `evidenceMaxAge`). */
export type EvidenceMaxAge = PassportDetailView["evidenceMaxAge"]

export const evidenceMaxAge = (data: unknown, stamps: ReadonlyArray<Stamp>): EvidenceMaxAge => {
  const environments = stamps.length === 0 ? [null] : stamps.map((stamp) => stamp.environment)
  let strictest: EvidenceMaxAge = null
  for (const environment of environments) {
    const seconds = maxEvidenceAgeSeconds(data, environment)
    if (seconds !== undefined && (strictest === null || seconds < strictest.seconds)) strictest = { seconds, environment }
  }
  return strictest
}

const evidenceView = (item: EvidenceVersion, seesPrivate: boolean, nowMs: number, maxAge: EvidenceMaxAge) => {
  const hidden = item.private && !seesPrivate
  const ageSeconds = evidenceAgeSeconds(item.observedAt, nowMs)
  return {
    id: item.id,
    source: item.source,
    externalId: item.externalId,
    type: item.type,
    version: item.version,
    latest: item.latest,
    status: item.status,
    summary: item.summary,
    url: item.url,
    details: hidden ? null : (item.details as PassportDetailView["evidence"][number]["details"]),
    private: item.private,
    detailsHidden: hidden && item.details !== null,
    artifactDigest: item.artifactDigest,
    sourceSha: item.sourceSha,
    digestMismatch: item.digestMismatch,
    sourceShaMismatch: item.sourceShaMismatch,
    observedAt: item.observedAt,
    receivedAt: item.receivedAt,
    ageSeconds,
    stale: isEvidenceStale(ageSeconds, maxAge?.seconds)
  }
}

/** Which policy revisions decided, and which rules fired under each, over the evaluations shown. */
const policyUses = (evaluations: ReadonlyArray<GateEvaluation>): PassportDetailView["policies"] => {
  const byRevision = new Map<string, {
    revision: string
    bundleDigest: string
    evaluations: number
    lastEvaluatedAt: string
    rules: Map<string, { code: string; policy: string; severity: "deny" | "warn"; times: number }>
  }>()
  for (const evaluation of evaluations) {
    const key = `${evaluation.policyRevision}\u0000${evaluation.bundleDigest}`
    let use = byRevision.get(key)
    if (use === undefined) {
      use = {
        revision: evaluation.policyRevision,
        bundleDigest: evaluation.bundleDigest,
        evaluations: 0,
        lastEvaluatedAt: evaluation.evaluatedAt,
        rules: new Map()
      }
      byRevision.set(key, use)
    }
    use.evaluations++
    if (evaluation.evaluatedAt > use.lastEvaluatedAt) use.lastEvaluatedAt = evaluation.evaluatedAt
    const fired = [
      ...evaluation.blockers.map((f) => ({ ...f, severity: "deny" as const })),
      ...evaluation.warnings.map((f) => ({ ...f, severity: "warn" as const }))
    ]
    for (const finding of fired) {
      const ruleKey = `${finding.severity}\u0000${finding.code}\u0000${finding.policy}`
      const rule = use.rules.get(ruleKey) ?? { code: finding.code, policy: finding.policy, severity: finding.severity, times: 0 }
      rule.times++
      use.rules.set(ruleKey, rule)
    }
  }
  return [...byRevision.values()]
    .sort((a, b) => (a.lastEvaluatedAt < b.lastEvaluatedAt ? 1 : -1))
    .map(({ rules, ...use }) => ({
      ...use,
      rulesFired: [...rules.values()].sort((a, b) => a.code.localeCompare(b.code) || a.severity.localeCompare(b.severity))
    }))
}

export const commentView = (comment: Comment, viewer: { readonly userId: string; readonly isAdmin: boolean }): CommentView => ({
  id: comment.id,
  body: comment.body,
  author: { id: comment.author.id, displayName: comment.author.displayName },
  createdAt: comment.createdAt,
  canDelete: viewer.isAdmin || comment.author.id === viewer.userId
})

export const detailView = (
  detail: PassportDetail,
  comments: ReadonlyArray<Comment>,
  viewer: { readonly userId: string; readonly isAdmin: boolean },
  freshness: { readonly nowMs: number; readonly policyData: unknown }
): PassportDetailView => {
  const { passport, stamps } = detail
  const latest = detail.evaluations[0]
  const maxAge = evidenceMaxAge(freshness.policyData, stamps)
  return {
    id: passport.id,
    service: { name: passport.service.name, namespace: passport.service.namespace },
    release: { releaseId: passport.releaseId, sourceSha: passport.sourceSha },
    artifactDigest: passport.artifactDigest,
    createdAt: passport.createdAt,
    updatedAt: passport.updatedAt,
    verdict: overallVerdict(stamps),
    environments: stamps.map(environmentView),
    latest: latest === undefined ? null : evaluationView(latest),
    evidence: detail.evidence.map((item) => evidenceView(item, viewer.isAdmin, freshness.nowMs, maxAge)),
    evidenceTotal: detail.evidenceTotal,
    evidenceMaxAge: maxAge,
    policies: policyUses(detail.evaluations),
    evaluations: detail.evaluations.map(evaluationView),
    evaluationsTotal: detail.evaluationsTotal,
    comments: comments.map((comment) => commentView(comment, viewer))
  }
}

/** Cursors are opaque to clients: base64url of the last row's position. */
export const encodeCursor = (cursor: { readonly updatedAt: string; readonly id: string }): string =>
  Buffer.from(JSON.stringify([cursor.updatedAt, cursor.id])).toString("base64url")

export const decodeCursor = (text: string): { readonly updatedAt: string; readonly id: string } | undefined => {
  try {
    const value = JSON.parse(Buffer.from(text, "base64url").toString("utf8")) as unknown
    if (
      Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && typeof value[1] === "string" &&
      !Number.isNaN(Date.parse(value[0])) && value[1].length <= 100
    ) {
      return { updatedAt: new Date(value[0]).toISOString(), id: value[1] }
    }
  } catch {
    // fall through: not a cursor we made
  }
  return undefined
}
