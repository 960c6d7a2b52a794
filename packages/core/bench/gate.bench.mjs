// npm run bench:core: evaluations per second and latency of evaluateGate with the bundled
// policies, next to raw opa-wasm evaluate() on the same input in the same run. The ratio is
// what matters (machines are noisy): it is the cost of what core adds around the wasm call
// (input building, decision validation, verdict).
import { loadPolicy } from "@open-policy-agent/opa-wasm"
import { buildPolicyInput, evaluateGate, loadPolicyBundle } from "@releasepassport/core"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { parseTarGzip } from "nanotar"

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 20_000)
const WARMUP = 2_000
const bytes = readFileSync(new URL("../../../policies/bundle/bundle.tar.gz", import.meta.url))

const request = {
  mode: "enforce",
  service: { name: "checkout-api", namespace: "apps-checkout", environment: "production" },
  artifact: { digest: `sha256:${"3f1a9c0e".repeat(8)}` },
  release: { releaseId: "gh-123456", sourceSha: "9f3c8b7", renderedManifestPath: "rendered/checkout-api.yaml" },
  health: { ready: true, requireHealthyTarget: true },
  rollback: { available: true, verified: false }
}
const now = new Date("2026-11-28T12:00:00Z")
const evidence = Array.from({ length: 10 }, (_, i) => ({
  id: `evd_${i}`, source: "github_actions", type: i === 0 ? "smoke" : `check-${i}`, status: "passed", summary: "ok",
  artifactDigest: request.artifact.digest, sourceSha: "9f3c8b7",
  observedAt: "2026-11-28T11:00:00Z", receivedAt: "2026-11-28T11:00:01Z"
}))
const context = {
  request,
  passport: { id: "pp_bench", releaseId: "gh-123456", artifactDigest: request.artifact.digest, sourceSha: "9f3c8b7", service: { name: "checkout-api", namespace: "apps-checkout" } },
  evidence,
  connectors: [{ source: "github_actions", freshness: "fresh", environments: ["production"] }],
  now
}

const measure = async (label, fn) => {
  for (let i = 0; i < WARMUP; i++) await fn()
  const samples = new Float64Array(ITERATIONS)
  const start = performance.now()
  for (let i = 0; i < ITERATIONS; i++) {
    const t = performance.now()
    await fn()
    samples[i] = performance.now() - t
  }
  const total = performance.now() - start
  samples.sort()
  const pick = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))]
  const result = { label, perSecond: ITERATIONS / (total / 1000), p50: pick(0.5), p99: pick(0.99) }
  console.log(`${label.padEnd(34)} ${result.perSecond.toFixed(0).padStart(8)} eval/s   p50 ${(result.p50 * 1000).toFixed(1).padStart(7)} µs   p99 ${(result.p99 * 1000).toFixed(1).padStart(7)} µs`)
  return result
}

// Baseline: the SDK alone, same wasm, same data, same input document.
const files = await parseTarGzip(bytes)
const file = (name) => files.find((f) => f.name.replace(/^\//, "") === name).data
const raw = await loadPolicy(file("policy.wasm"))
raw.setData(JSON.parse(new TextDecoder().decode(file("data.json"))))
const input = buildPolicyInput(context)

const bundle = await Effect.runPromise(loadPolicyBundle(bytes))
const check = await Effect.runPromise(evaluateGate(bundle, context))
if (check.verdict === "error") throw new Error(`bench input does not evaluate: ${JSON.stringify(check.blockers)}`)

console.log(`node ${process.version}, ${ITERATIONS} iterations after ${WARMUP} warm-up, bundle ${bundle.revision}, 10 evidence items`)
// Alternating rounds, so JIT tier-up and GC land on both sides alike; the median round counts.
const rounds = { raw: [], core: [] }
for (let round = 1; round <= 3; round++) {
  rounds.raw.push(await measure(`round ${round}: raw opa-wasm evaluate()`, () => raw.evaluate(input, "releasepassport/gate/decision")))
  rounds.core.push(await measure(`round ${round}: core evaluateGate()`, () => Effect.runPromise(evaluateGate(bundle, context))))
}
const median = (results) => [...results].sort((a, b) => a.perSecond - b.perSecond)[1]
const baseline = median(rounds.raw)
const core = median(rounds.core)
console.log(`median raw : ${baseline.perSecond.toFixed(0)} eval/s, p50 ${(baseline.p50 * 1000).toFixed(1)} µs, p99 ${(baseline.p99 * 1000).toFixed(1)} µs`)
console.log(`median core: ${core.perSecond.toFixed(0)} eval/s, p50 ${(core.p50 * 1000).toFixed(1)} µs, p99 ${(core.p99 * 1000).toFixed(1)} µs`)
console.log(`ratio core/raw: throughput ${(core.perSecond / baseline.perSecond).toFixed(2)}x, p50 ${(core.p50 / baseline.p50).toFixed(2)}x, p99 ${(core.p99 / baseline.p99).toFixed(2)}x`)
