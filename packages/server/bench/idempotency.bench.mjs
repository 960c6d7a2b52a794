// npm run bench:idempotency: what an Idempotency-Key costs on POST /releasepassport/v1/gate/evaluate,
// and what a replay saves, through the BUILT server on SQLite. One client, one request at a time
// (latency, not throughput), the three kinds interleaved round by round so that the machine's
// noise falls on all of them alike; read the ratios to the unkeyed request of the same run.
//
// - unkeyed: a gate request without a key (the baseline: facts, policy, record);
// - keyed, first: a fresh key (the same work plus the claim and the stored answer);
// - keyed, replay: a key already answered (the read-only check answers; no policy evaluation).
//
// Bounded: BENCH_ROUNDS rounds (default 300) after 30 warm-up rounds.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { cli, machineLine, runBench, startServer } from "./support.mjs"

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300)
const WARMUP = 30
const GATE_PATH = "/releasepassport/v1/gate/evaluate"
const run = `idem-${Date.now().toString(36)}`

const gateRequest = (n) => ({
  mode: "enforce",
  service: { name: "checkout-api", namespace: "apps-checkout", environment: "staging" },
  artifact: { digest: `sha256:${"3f1a9c0e".repeat(8)}` },
  release: { releaseId: `${run}-${Math.floor(n / 3)}`, sourceSha: "9f3c8b7", renderedManifestPath: "rendered/checkout-api.yaml" },
  health: { ready: true, requireHealthyTarget: true },
  rollback: { available: true, verified: true }
})

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

await runBench(async (cleanup) => {
  console.log(`${machineLine()}; ${ROUNDS} rounds after ${WARMUP} warm-up, one request at a time, loopback, SQLite`)
  const dir = mkdtempSync(path.join(tmpdir(), "releasepassport-bench-"))
  cleanup(async () => rmSync(dir, { recursive: true, force: true }))
  const database = `sqlite:${path.join(dir, "bench.db")}`
  await cli(["migrate", "--database", database])
  const token = await cli(["token", "create", "--database", database, "--scope", "gate:evaluate", "--name", "bench"])
  const server = await startServer(database)
  cleanup(server.stop)

  const post = async (body, key) => {
    const headers = { "content-type": "application/json", authorization: `Bearer ${token}`, ...(key === undefined ? {} : { "idempotency-key": key }) }
    const started = performance.now()
    const response = await fetch(`${server.url}${GATE_PATH}`, { method: "POST", headers, body })
    const answer = await response.json()
    const ms = performance.now() - started
    if (response.status !== 200) throw new Error(`gate answered ${response.status}: ${JSON.stringify(answer)}`)
    return { ms, answer }
  }

  const samples = { unkeyed: [], first: [], replay: [] }
  let n = 0
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const unkeyed = await post(JSON.stringify(gateRequest(n++)))
    const body = JSON.stringify(gateRequest(n++))
    const first = await post(body, `${run}-key-${round}`)
    const replay = await post(body, `${run}-key-${round}`)
    if (replay.answer.evaluationId !== first.answer.evaluationId) throw new Error("a replay answered another evaluation")
    if (round < WARMUP) continue
    samples.unkeyed.push(unkeyed.ms)
    samples.first.push(first.ms)
    samples.replay.push(replay.ms)
  }
  const base = median(samples.unkeyed)
  for (const [label, values] of Object.entries(samples)) {
    const m = median(values)
    console.log(`${label.padEnd(8)} median ${m.toFixed(2)} ms  (${(m / base).toFixed(2)}x unkeyed)`)
  }
})
