/**
 * Throughput of the sanitizer on the ingest hot path, against a trivial baseline in the same run.
 *
 *   node packages/core/bench/redaction.bench.ts [seconds-per-case]
 *
 * (Node 22.18+ strips the types itself; on older 22.x add `--experimental-strip-types`.)
 *
 * Cases: a clean 2 KiB summary, a 2 KiB summary full of secrets, a clean 64 KiB JSON details
 * document, and the same document with secrets in it. The baseline is `JSON.stringify` plus
 * `String.prototype.includes` over the same data: the least any "look at every byte" pass costs.
 * Secrets are built at run time from random characters.
 */
import { sanitizeJson, sanitizeText } from "../src/redaction/index.ts"

const seconds = Number(process.argv[2] ?? "1")

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
let seed = 42
const random = (n: number, chars = alphabet): string => {
  let s = ""
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648
    s += chars[seed % chars.length]
  }
  return s
}
const hex = (n: number) => random(n, "0123456789abcdef")

const cleanSentences = [
  `Deployed checkout-api ${hex(7)} to production in 42s.`,
  `Tests: 1243 passed, 0 failed, 12 skipped (suite ${random(6)}).`,
  `Image sha256:${hex(64)} signed by release-bot; provenance verified.`,
  `Commit ${hex(40)} by Jane Doe <jane@example.com>: "fix: handle empty token list".`,
  `Scanner found 0 critical, 2 medium issues; see https://ci.example.com/runs/${random(10)}.`,
  `Rollback plan ${crypto.randomUUID()} verified against staging; password rotation is enforced.`
]
const secretSentences = [
  `export GITHUB_TOKEN=${"ghp_" + random(36)}`,
  `Authorization: Bearer ${"eyJ" + random(20)}.${"eyJ" + random(40)}.${random(43)}`,
  `DATABASE_URL=postgres://app:${random(16)}@db.internal:5432/app`,
  `aws_secret_access_key = ${random(40)}`,
  `client_secret=${random(32)}&grant_type=client_credentials`,
  `stripe ${"sk_" + "live_" + random(24)} and ${"xoxb-" + "1234567890-" + random(24)}`,
  `release token ${"rp" + "_" + random(48)}`
]

const fill = (sentences: ReadonlyArray<string>, size: number): string => {
  let s = ""
  for (let i = 0; s.length < size; i++) s += sentences[i % sentences.length] + "\n"
  return s.slice(0, size)
}
const cleanSummary = fill(cleanSentences, 2048)
const secretSummary = fill([...cleanSentences.slice(0, 2), ...secretSentences], 2048)

const details = (withSecrets: boolean): unknown => {
  const results: Array<unknown> = []
  const doc = { tool: "vitest", commit: hex(40), results }
  for (let i = 0; JSON.stringify(doc).length < 64 * 1024; i++) {
    results.push({
      id: `test-${i}`,
      name: `checkout page ${i} renders the basket`,
      status: i % 9 === 0 ? "failed" : "passed",
      durationMs: (i * 37) % 1000,
      file: `src/checkout/page-${i}.test.ts`,
      message: i % 9 === 0 ? `expected 200, got 500 (trace ${crypto.randomUUID()})` : "",
      ...(withSecrets && i % 25 === 0
        ? { env: { NPM_TOKEN: "npm_" + random(36), password: random(12) }, log: secretSentences[i % secretSentences.length] }
        : {})
    })
  }
  return doc
}
const cleanDetails = details(false)
const secretDetails = details(true)

const measure = (run: () => unknown): number => {
  for (let i = 0; i < 20; i++) run()
  const deadline = performance.now() + seconds * 1000
  let n = 0
  const start = performance.now()
  while (performance.now() < deadline) {
    run()
    n++
  }
  return n / ((performance.now() - start) / 1000)
}

const rows: Array<Record<string, string>> = []
const bench = (name: string, input: unknown, sanitize: () => { redactions: number }, baseline: () => unknown): void => {
  const bytes = typeof input === "string" ? input.length : JSON.stringify(input).length
  const perSecond = measure(sanitize)
  const basePerSecond = measure(baseline)
  rows.push({
    case: name,
    bytes: String(bytes),
    redactions: String(sanitize().redactions),
    "items/s": perSecond.toFixed(0),
    "MB/s": ((perSecond * bytes) / 1e6).toFixed(1),
    "µs/item": (1e6 / perSecond).toFixed(1),
    "baseline MB/s": ((basePerSecond * bytes) / 1e6).toFixed(1),
    "sanitizer/baseline": (perSecond / basePerSecond).toFixed(3)
  })
}

const includesBaseline = (input: unknown) => () => JSON.stringify(input).includes("[REDACTED:")

bench("clean text 2 KiB", cleanSummary, () => sanitizeText(cleanSummary), includesBaseline(cleanSummary))
bench("secret-laden text 2 KiB", secretSummary, () => sanitizeText(secretSummary), includesBaseline(secretSummary))
bench("clean JSON 64 KiB", cleanDetails, () => sanitizeJson(cleanDetails), includesBaseline(cleanDetails))
bench("secret-laden JSON 64 KiB", secretDetails, () => sanitizeJson(secretDetails), includesBaseline(secretDetails))

console.log(`node ${process.version}, ${seconds}s per measurement`)
console.table(rows)
