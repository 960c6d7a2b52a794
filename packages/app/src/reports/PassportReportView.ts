import { sanitizeText } from "@releasepassport/core"
import type { Comment, EvidenceVersion, PassportDetail, Workspace } from "@releasepassport/core"
import { sha256Hex } from "./DecisionRows.ts"
import type { PassportReport } from "./ReportSchemas.ts"

/** JSON with object keys sorted, so that equal details give equal hashes whatever their key order. */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`
  }
  return JSON.stringify(value) ?? "null"
}

/**
 * A private item's details never reach a report, not even as a hash (a hash of a short value
 * can be guessed); a public item's details are summarised by the hash of what was stored,
 * already sanitized, so an auditor can match them with the passport page.
 */
const detailsHash = (item: EvidenceVersion): string | null =>
  item.private || item.details === null ? null : `sha256:${sha256Hex(canonicalJson(item.details))}`

export const passportReportView = (args: {
  readonly workspace: Workspace
  readonly detail: PassportDetail
  readonly comments: ReadonlyArray<Comment>
  readonly now: Date
}): PassportReport => {
  const { detail, now } = args
  const passport = detail.passport
  const byEnvironment = new Map<string, Array<PassportDetail["evaluations"][number]>>()
  for (const evaluation of detail.evaluations) {
    const list = byEnvironment.get(evaluation.environment) ?? []
    list.push(evaluation)
    byEnvironment.set(evaluation.environment, list)
  }
  const policies = new Map<string, { revision: string; bundleDigest: string; evaluations: number }>()
  for (const evaluation of detail.evaluations) {
    const key = JSON.stringify([evaluation.policyRevision, evaluation.bundleDigest])
    const entry = policies.get(key) ?? { revision: evaluation.policyRevision, bundleDigest: evaluation.bundleDigest, evaluations: 0 }
    entry.evaluations++
    policies.set(key, entry)
  }
  const latestByStamp = new Map(detail.evaluations.map((evaluation) => [evaluation.id, evaluation]))
  return {
    reportVersion: 1,
    generatedAt: now.toISOString(),
    workspace: args.workspace.slug,
    passport: {
      id: passport.id,
      service: { name: passport.service.name, namespace: passport.service.namespace },
      releaseId: passport.releaseId,
      artifactDigest: passport.artifactDigest,
      sourceSha: passport.sourceSha,
      createdAt: passport.createdAt,
      updatedAt: passport.updatedAt
    },
    environments: detail.stamps.map((stamp) => ({
      environment: stamp.environment,
      verdict: stamp.verdict,
      mode: stamp.mode,
      evaluatedAt: stamp.evaluatedAt,
      history: (byEnvironment.get(stamp.environment) ?? []).map((evaluation) => ({
        evaluationId: evaluation.id,
        mode: evaluation.mode,
        verdict: evaluation.verdict,
        allowed: evaluation.allowed,
        wouldBlock: evaluation.wouldBlock,
        blockerCodes: evaluation.blockers.map((finding) => finding.code),
        policyRevision: evaluation.policyRevision,
        bundleDigest: evaluation.bundleDigest,
        evaluatedAt: evaluation.evaluatedAt
      }))
    })),
    blockers: detail.stamps.flatMap((stamp) =>
      (latestByStamp.get(stamp.evaluationId)?.blockers ?? []).map((finding) => ({
        environment: stamp.environment,
        code: finding.code,
        policy: finding.policy,
        // Policy messages may quote what a release carried: redacted again on the way out.
        message: sanitizeText(finding.message).text,
        remediation: finding.remediation === undefined ? null : sanitizeText(finding.remediation).text
      }))
    ),
    evidence: detail.evidence.map((item) => ({
      id: item.id,
      type: item.type,
      status: item.status,
      source: item.source,
      version: item.version,
      latest: item.latest,
      observedAt: item.observedAt,
      ageSeconds: Math.max(0, Math.floor((now.getTime() - Date.parse(item.observedAt)) / 1000)),
      private: item.private,
      detailsSha256: detailsHash(item)
    })),
    policies: [...policies.values()],
    comments: args.comments.map((comment) => ({
      author: sanitizeText(comment.author.displayName).text,
      createdAt: comment.createdAt,
      body: sanitizeText(comment.body).text
    })),
    truncated: detail.evaluationsTotal > detail.evaluations.length || detail.evidenceTotal > detail.evidence.length
  }
}
