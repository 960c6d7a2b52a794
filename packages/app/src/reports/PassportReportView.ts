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
  /** Cleans what users typed into identifiers (the gate stores them as sent). */
  readonly redact: (value: string) => string
}): PassportReport => {
  const { detail, now, redact } = args
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
  // Policy messages quote the release's identifiers (e.g. an invalid digest), sometimes
  // JSON-escaped, where the redaction rules no longer see a secret's context: an identifier
  // that held a secret is replaced in messages by its redacted form, quoted either way.
  const tainted = [passport.service.name, passport.service.namespace, passport.releaseId, passport.artifactDigest, passport.sourceSha,
    ...detail.stamps.map((stamp) => stamp.environment)].filter((value) => redact(value) !== value)
  const scrub = (message: string) => {
    let clean = message
    for (const value of tainted) {
      clean = clean.replaceAll(value, redact(value)).replaceAll(JSON.stringify(value).slice(1, -1), redact(value))
    }
    return redact(clean)
  }
  return {
    reportVersion: 1,
    generatedAt: now.toISOString(),
    workspace: args.workspace.slug,
    passport: {
      id: passport.id,
      service: { name: redact(passport.service.name), namespace: redact(passport.service.namespace) },
      releaseId: redact(passport.releaseId),
      artifactDigest: redact(passport.artifactDigest),
      sourceSha: redact(passport.sourceSha),
      createdAt: passport.createdAt,
      updatedAt: passport.updatedAt
    },
    environments: detail.stamps.map((stamp) => ({
      environment: redact(stamp.environment),
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
        environment: redact(stamp.environment),
        code: finding.code,
        policy: finding.policy,
        // Policy messages may quote what a release carried: redacted again on the way out.
        message: scrub(finding.message),
        remediation: finding.remediation === undefined ? null : scrub(finding.remediation)
      }))
    ),
    evidence: detail.evidence.map((item) => ({
      id: item.id,
      type: redact(item.type),
      status: item.status,
      source: redact(item.source),
      version: item.version,
      latest: item.latest,
      observedAt: item.observedAt,
      ageSeconds: Math.max(0, Math.floor((now.getTime() - Date.parse(item.observedAt)) / 1000)),
      private: item.private,
      detailsSha256: detailsHash(item)
    })),
    policies: [...policies.values()],
    comments: args.comments.map((comment) => ({
      author: redact(comment.author.displayName),
      createdAt: comment.createdAt,
      body: redact(comment.body)
    })),
    truncated: detail.evaluationsTotal > detail.evaluations.length || detail.evidenceTotal > detail.evidence.length
  }
}
