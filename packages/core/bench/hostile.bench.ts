/**
 * The sanitizer on the worst inputs we know, against `JSON.parse` of the same request body.
 *
 *   npm run bench:redaction            (or: node packages/core/bench/hostile.bench.ts [items])
 *
 * Each row is one hostile input (see hostileInputs.ts): an ingest-like body of `items` evidence
 * items (default 15, as in the attack that found the problem) whose details hold 64 KiB of it.
 * Columns: the time of `JSON.parse(body)`, of `sanitizeJson` over the parsed items, their ratio,
 * the same ratio for a harmless log of the same size (what the hostile ratio should stay near), and
 * how the time of one item grows from 8 KiB to 64 KiB (8 for linear work; 64 for quadratic).
 * Times are the least CPU time (user + system) of a few runs: on a machine shared with other work,
 * wall time would count the waits for a core as the sanitizer's.
 */
import { sanitizeJson, sanitizeText } from "../src/redaction/index.ts"
import { benignText, hostileDocuments, hostileInputs } from "./hostileInputs.ts"

const items = Number(process.argv[2] ?? "15")
const size = 64 * 1024

/** Least CPU time of `runs` runs, in milliseconds; fewer runs when one is slow, so a bad case cannot stall the bench. */
const fastest = (run: () => unknown, runs = 5): number => {
  let best = Number.POSITIVE_INFINITY
  let spent = 0
  for (let i = 0; i < runs && (i === 0 || spent < 3_000); i++) {
    const start = process.cpuUsage()
    run()
    const used = process.cpuUsage(start)
    const took = (used.user + used.system) / 1000
    spent += took
    best = Math.min(best, took)
  }
  return best
}

const bodyOf = (details: unknown): string =>
  JSON.stringify({ evidence: Array.from({ length: items }, (_, i) => ({ type: `check-${i}`, status: "passed", details })) })

const measureBody = (details: unknown): { parse: number; sanitize: number } => {
  const body = bodyOf(details)
  const parse = fastest(() => JSON.parse(body))
  const parsed = JSON.parse(body) as { evidence: Array<{ details: unknown }> }
  const sanitize = fastest(() => {
    for (const item of parsed.evidence) sanitizeJson(item.details)
  })
  return { parse, sanitize }
}

// Warm up the rule tables and the JIT on something harmless.
for (let i = 0; i < 20; i++) sanitizeText(benignText(size))

const benign = measureBody({ log: benignText(size) })
const benignRatio = benign.sanitize / benign.parse

const rows: Array<Record<string, string>> = []
const row = (family: string, name: string, m: { parse: number; sanitize: number }, growth: string) =>
  rows.push({
    family,
    input: name,
    "JSON.parse ms": m.parse.toFixed(2),
    "sanitize ms": m.sanitize.toFixed(2),
    "sanitize/parse": (m.sanitize / m.parse).toFixed(1),
    "vs harmless": (m.sanitize / m.parse / benignRatio).toFixed(1),
    "8K→64K": growth
  })

row("-", "harmless log", benign, "")
let worst = { name: "", ratio: 0 }
for (const input of hostileInputs) {
  const text = input.build(size)
  const m = measureBody({ log: text })
  const small = input.build(size / 8)
  const growth = fastest(() => sanitizeText(text)) / fastest(() => sanitizeText(small), 20)
  row(input.family, input.name, m, growth.toFixed(1))
  if (m.sanitize / m.parse > worst.ratio) worst = { name: input.name, ratio: m.sanitize / m.parse }
}
for (const document of hostileDocuments) {
  const m = measureBody(document.build(size))
  row("json", document.name, m, "")
  if (m.sanitize / m.parse > worst.ratio) worst = { name: document.name, ratio: m.sanitize / m.parse }
}

console.log(`node ${process.version}; ${items} items of ${size / 1024} KiB; least CPU time of up to 5 runs`)
console.table(rows)
console.log(`worst: ${worst.name}, sanitize/parse ${worst.ratio.toFixed(1)} (harmless ${benignRatio.toFixed(1)})`)
