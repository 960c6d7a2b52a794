import type { ShadowedEvaluation } from "@releasepassport/core"
import { VerdictKind } from "@releasepassport/core"
import { Schema } from "effect"

/**
 * A replay re-runs at most this many evaluations. Here, beside the report it bounds, rather than
 * in Policies.ts: the CLI pages a replay with it, and importing the use case would load the
 * policy engine into every CLI start-up.
 */
export const REPLAY_LIMIT = 5_000

const CodeCount = Schema.Struct({ code: Schema.String, evaluations: Schema.Int })

/** One evaluation where the candidate and the active bundle disagree. */
export const CandidateDisagreement = Schema.Struct({
  evaluationId: Schema.String,
  passportId: Schema.String,
  environment: Schema.String,
  evaluatedAt: Schema.String,
  verdict: VerdictKind,
  candidateVerdict: VerdictKind,
  /** Blocker codes the candidate adds (sorted). */
  newBlockers: Schema.Array(Schema.String),
  /** Blocker codes the candidate no longer gives (sorted). */
  removedBlockers: Schema.Array(Schema.String)
})
export type CandidateDisagreement = typeof CandidateDisagreement.Type

/**
 * `GET /reports/candidate`: on real traffic since `since`, what switching to the candidate would
 * change, by rule. Counts are of evaluations (a code counts once per evaluation).
 */
export const CandidateReport = Schema.Struct({
  since: Schema.String,
  /** Evaluations that ran a candidate, read (at most the bound; `truncated` says if there were more). */
  evaluations: Schema.Int,
  truncated: Schema.Boolean,
  disagreements: Schema.Int,
  verdictFlips: Schema.Array(Schema.Struct({ from: VerdictKind, to: VerdictKind, evaluations: Schema.Int })),
  newBlockers: Schema.Array(CodeCount),
  removedBlockers: Schema.Array(CodeCount),
  /** The disagreeing evaluations, newest first (at most 100). */
  examples: Schema.Array(CandidateDisagreement)
})
export type CandidateReport = typeof CandidateReport.Type

/** `POST /policies/replay`: a bundle re-run over past evaluations, grouped like the candidate report. */
export const ReplayReport = Schema.Struct({
  ...CandidateReport.fields,
  bundle: Schema.Struct({ digest: Schema.String, revision: Schema.String }),
  until: Schema.String,
  /** Evaluations re-run (the report's `evaluations` counts the same). */
  replayed: Schema.Int,
  /** True when the time bound stopped the replay before every evaluation in the window was re-run. */
  stoppedEarly: Schema.Boolean,
  /** How many evaluations the window holds that can be replayed (this request began at `offset` of them). */
  inWindow: Schema.Int,
  offset: Schema.Int
})
export type ReplayReport = typeof ReplayReport.Type

const mergeCounts = <K extends { readonly evaluations: number }>(a: ReadonlyArray<K>, b: ReadonlyArray<K>, key: (k: K) => string) => {
  const merged = new Map<string, K>()
  for (const entry of [...a, ...b]) {
    const seen = merged.get(key(entry))
    merged.set(key(entry), seen === undefined ? entry : { ...seen, evaluations: seen.evaluations + entry.evaluations })
  }
  return [...merged.values()].sort((x, y) => y.evaluations - x.evaluations || key(x).localeCompare(key(y)))
}

/**
 * Two pages of one replay (the same bundle and window, `next` read from where `first` ended) as
 * one report, the same as one replay of both pages at once. Pure.
 */
export const mergeReplayReports = (first: ReplayReport, next: ReplayReport): ReplayReport => ({
  ...first,
  evaluations: first.evaluations + next.evaluations,
  replayed: first.replayed + next.replayed,
  disagreements: first.disagreements + next.disagreements,
  truncated: next.truncated,
  stoppedEarly: first.stoppedEarly || next.stoppedEarly,
  inWindow: next.inWindow,
  verdictFlips: mergeCounts(first.verdictFlips, next.verdictFlips, (flip) => `${flip.from}${flip.to}`),
  newBlockers: mergeCounts(first.newBlockers, next.newBlockers, (code) => code.code),
  removedBlockers: mergeCounts(first.removedBlockers, next.removedBlockers, (code) => code.code),
  // In the order a single replay lists them (the order it read the evaluations), as many.
  examples: [...first.examples, ...next.examples].slice(0, EXAMPLES)
})

const EXAMPLES = 100

const codes = (findings: ReadonlyArray<{ readonly code: string }>) => new Set(findings.map((finding) => finding.code))

const counted = (counts: Map<string, number>) =>
  [...counts].map(([code, evaluations]) => ({ code, evaluations }))
    .sort((a, b) => b.evaluations - a.evaluations || a.code.localeCompare(b.code))

/** Groups evaluations by how the candidate's decision differs from the active one's. Pure. */
export const candidateReport = (
  evaluations: ReadonlyArray<ShadowedEvaluation>,
  options: { readonly since: Date; readonly truncated: boolean }
): CandidateReport => {
  const flips = new Map<string, { from: VerdictKind; to: VerdictKind; evaluations: number }>()
  const added = new Map<string, number>()
  const removed = new Map<string, number>()
  const examples: Array<CandidateDisagreement> = []
  let disagreements = 0
  for (const evaluation of evaluations) {
    const active = codes(evaluation.blockers)
    const candidate = codes(evaluation.candidate.blockers)
    const newBlockers = [...candidate].filter((code) => !active.has(code)).sort()
    const removedBlockers = [...active].filter((code) => !candidate.has(code)).sort()
    const flipped = evaluation.verdict !== evaluation.candidate.verdict
    if (!flipped && newBlockers.length === 0 && removedBlockers.length === 0) continue
    disagreements++
    if (flipped) {
      const key = `${evaluation.verdict}>${evaluation.candidate.verdict}`
      const flip = flips.get(key) ?? { from: evaluation.verdict, to: evaluation.candidate.verdict, evaluations: 0 }
      flip.evaluations++
      flips.set(key, flip)
    }
    for (const code of newBlockers) added.set(code, (added.get(code) ?? 0) + 1)
    for (const code of removedBlockers) removed.set(code, (removed.get(code) ?? 0) + 1)
    if (examples.length < EXAMPLES) {
      examples.push({
        evaluationId: evaluation.evaluationId,
        passportId: evaluation.passportId,
        environment: evaluation.environment,
        evaluatedAt: evaluation.evaluatedAt,
        verdict: evaluation.verdict,
        candidateVerdict: evaluation.candidate.verdict,
        newBlockers,
        removedBlockers
      })
    }
  }
  return {
    since: options.since.toISOString(),
    evaluations: evaluations.length,
    truncated: options.truncated,
    disagreements,
    verdictFlips: [...flips.values()].sort((a, b) => b.evaluations - a.evaluations || `${a.from}${a.to}`.localeCompare(`${b.from}${b.to}`)),
    newBlockers: counted(added),
    removedBlockers: counted(removed),
    examples
  }
}
