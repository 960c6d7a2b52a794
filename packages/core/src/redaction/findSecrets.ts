import { base64Runs, decodeBase64Text, fullyDecoded } from "./decodings.ts"
import { patternRules, textContexts, type PatternRule, type ScanRule, type TextContext } from "./rules.ts"
import { startsWithMarker, type SecretKind } from "./SecretKind.ts"
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

const secretGroups = ["secret", "secret2", "secret3", "secret4"] as const

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
  passes: (gate: RegExp) => boolean,
  out: Array<Candidate>
): void => {
  if (rule.when !== undefined && !inContext(rule.when)) return
  if (rule.gate !== undefined && !passes(rule.gate)) return
  const pattern = rule.pattern
  pattern.lastIndex = 0
  let match: RegExpExecArray | null
  while ((match = pattern.exec(text)) !== null) {
    if (match[0].length === 0) pattern.lastIndex++
    const range = secretRange(rule, match)
    if (range === undefined) continue
    const [start, end] = range
    if (end <= start || startsWithMarker(text, start)) continue
    if (rule.accept !== undefined && !rule.accept(text.slice(start, end), match)) continue
    out.push({ start, end, kind: rule.kindOf?.(match) ?? rule.kind, rank })
  }
}

const runScanRule = (text: string, rule: ScanRule, rank: number, out: Array<Candidate>): void => {
  for (const { start, end } of rule.scan(text)) {
    if (end <= start || startsWithMarker(text, start)) continue
    if (rule.accept !== undefined && !rule.accept(text.slice(start, end))) continue
    out.push({ start, end, kind: rule.kind, rank })
  }
}

/**
 * How deep base64 inside base64 is looked into. Each layer is at most 3/4 of the one above, so
 * even the deepest costs less than the text itself.
 */
const maxBase64Depth = 2

/** Digests and commit ids: base64 of text is never all hex digits (its letters span the alphabet). */
const HEX_ONLY = /^(?:[0-9a-f]+|[0-9A-F]+)$/

/**
 * Base64 that decodes to text with a secret in it (a PEM key, a `.env` file, a kubeconfig) is
 * redacted whole, named after the first secret inside: no rule sees `LS0tLS1CRUdJTi...`. All the
 * decoded runs of a text are scanned together, in one scan per layer, whatever their number.
 */
const runBase64Layer = (text: string, depth: number, rank: number, out: Array<Candidate>): void => {
  // A run inside what the rules already found (a JWT, a token, a PEM body) is redacted anyway:
  // decoding it would only cost a second scan.
  const found = [...out].sort(byPosition)
  let covering = 0
  const covered = (run: { readonly start: number; readonly end: number }): boolean => {
    while (covering < found.length && found[covering]!.end < run.end) covering++
    for (let i = covering; i < found.length && found[i]!.start <= run.start; i++) if (found[i]!.end >= run.end) return true
    return false
  }
  // Each decoded text is scanned as it is and, when it is escaped too, with its escapes undone.
  const runs: Array<{ readonly start: number; readonly end: number }> = []
  const decoded: Array<string> = []
  for (const run of base64Runs(text)) {
    if (covered(run) || HEX_ONLY.test(text.slice(run.start, run.end))) continue
    const plain = decodeBase64Text(text.slice(run.start, run.end))
    if (plain === undefined) continue
    runs.push(run)
    decoded.push(plain)
    const unescaped = fullyDecoded(plain)
    if (unescaped !== undefined) {
      runs.push(run)
      decoded.push(unescaped)
    }
  }
  if (runs.length === 0) return
  let last: { readonly start: number } | undefined
  findSecretsInEachAt(decoded, depth + 1).forEach((inside, i) => {
    const run = runs[i]!
    if (inside.length === 0 || run === last) return
    last = run
    out.push({ ...run, kind: inside[0]!.kind, rank })
  })
}

/**
 * Texts are scanned together, joined by a separator that no rule matches across (a newline stops
 * every single-line rule; NUL stops the multi-line ones and URLs), and findings that still straddle
 * two texts are cut at the boundary. One scan of ~64 KiB is far cheaper than thousands of scans of
 * short strings, whose fixed cost (every rule, every time) a body of tiny values would multiply.
 */
const separator = "\n\u0000\n"

/** The findings of each text, with offsets relative to that text, from one scan of them all. */
export const findSecretsInEach = (texts: ReadonlyArray<string>): Array<ReadonlyArray<SecretSpan>> =>
  findSecretsInEachAt(texts, 0)

const findSecretsInEachAt = (texts: ReadonlyArray<string>, depth: number): Array<ReadonlyArray<SecretSpan>> => {
  if (texts.length === 1) return [findSecretsAt(texts[0]!, depth)]
  const spans = findSecretsAt(texts.join(separator), depth)
  const out: Array<Array<SecretSpan>> = []
  let next = 0
  let start = 0
  for (const text of texts) {
    const end = start + text.length
    while (next < spans.length && spans[next]!.end <= start) next++
    const inside: Array<SecretSpan> = []
    for (let i = next; i < spans.length && spans[i]!.start < end; i++) {
      const span = spans[i]!
      inside.push({ start: Math.max(span.start, start) - start, end: Math.min(span.end, end) - start, kind: span.kind })
    }
    out.push(inside)
    start = end + separator.length
  }
  return out
}

/** Earliest start first; at the same start the longer, then the rule listed first. */
const byPosition = (a: Candidate, b: Candidate): number => a.start - b.start || b.end - a.end || a.rank - b.rank

/**
 * Where the secrets in `text` are, as sorted, non-overlapping spans. Overlapping findings are
 * merged into one span that covers them all, named after the finding that starts first (then the
 * longer, then the rule listed first).
 */
export const findSecrets = (text: string): ReadonlyArray<SecretSpan> => findSecretsAt(text, 0)

const findSecretsAt = (text: string, depth: number): ReadonlyArray<SecretSpan> => {
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
  const gates = new Map<RegExp, boolean>()
  const passes = (gate: RegExp): boolean => {
    let known = gates.get(gate)
    if (known === undefined) gates.set(gate, (known = gate.test(text)))
    return known
  }
  patternRules.forEach((rule, index) =>
    "scan" in rule
      ? runScanRule(text, rule, index + 1, candidates)
      : runPatternRule(text, rule, index + 1, inContext, passes, candidates)
  )
  if (depth < maxBase64Depth) runBase64Layer(text, depth, patternRules.length + 1, candidates)

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
