import { startsWithMarker, type SecretKind } from "./SecretKind.ts"
import { patternRules, textContexts, type PatternRule, type TextContext } from "./rules.ts"
import { scanWithSecretlint } from "./secretlint.ts"

/** A stretch of text to redact: `[start, end)` in UTF-16 code units. */
export interface SecretSpan {
  readonly start: number
  readonly end: number
  readonly kind: SecretKind
}

interface Candidate {
  start: number
  end: number
  kind: SecretKind
  /** Position of the rule in the table: ties go to the rule listed first. */
  rank: number
}

const secretGroups = ["secret", "secret2", "secret3"] as const

const secretRange = (rule: PatternRule, match: RegExpExecArray): readonly [number, number] | undefined => {
  if (rule.redact === "match") return [match.index, match.index + match[0].length]
  const groups = match.indices?.groups
  if (groups === undefined) return undefined
  for (const name of secretGroups) {
    const range = groups[name]
    if (range !== undefined) return range
  }
  return undefined
}

const runPatternRule = (
  text: string,
  rule: PatternRule,
  rank: number,
  inContext: (context: TextContext) => boolean,
  out: Array<Candidate>
): void => {
  if (rule.when !== undefined && !inContext(rule.when)) return
  const pattern = rule.pattern
  pattern.lastIndex = 0
  let match: RegExpExecArray | null
  while ((match = pattern.exec(text)) !== null) {
    if (match[0].length === 0) pattern.lastIndex++
    const range = secretRange(rule, match)
    if (range === undefined) continue
    const [start, end] = range
    if (end <= start || startsWithMarker(text, start)) continue
    if (rule.accept !== undefined && !rule.accept(text.slice(start, end))) continue
    out.push({ start, end, kind: rule.kindOf?.(match) ?? rule.kind, rank })
  }
}

/** Earliest start first; at the same start the longer, then the rule listed first. */
const byPosition = (a: Candidate, b: Candidate): number => a.start - b.start || b.end - a.end || a.rank - b.rank

/**
 * Where the secrets in `text` are, as sorted, non-overlapping spans. Overlapping findings are
 * merged into one span that covers them all, named after the finding that starts first (then the
 * longer, then the rule listed first).
 */
export const findSecrets = (text: string): ReadonlyArray<SecretSpan> => {
  const candidates: Array<Candidate> = []
  for (const finding of scanWithSecretlint(text)) {
    if (!startsWithMarker(text, finding.start)) candidates.push({ ...finding, rank: 0 })
  }

  const contexts = new Map<TextContext, boolean>()
  const inContext = (context: TextContext): boolean => {
    let known = contexts.get(context)
    if (known === undefined) {
      known = textContexts[context].test(text)
      contexts.set(context, known)
    }
    return known
  }
  patternRules.forEach((rule, index) => runPatternRule(text, rule, index + 1, inContext, candidates))

  if (candidates.length === 0) return []
  candidates.sort(byPosition)
  const spans: Array<SecretSpan> = []
  let current: Candidate | undefined
  for (const candidate of candidates) {
    if (current !== undefined && candidate.start < current.end) {
      if (candidate.end > current.end) current.end = candidate.end
      continue
    }
    if (current !== undefined) spans.push({ start: current.start, end: current.end, kind: current.kind })
    current = { ...candidate }
  }
  if (current !== undefined) spans.push({ start: current.start, end: current.end, kind: current.kind })
  return spans
}
