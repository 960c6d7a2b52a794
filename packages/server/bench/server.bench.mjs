// npm run bench:server: POST /releasepassport/v1/gate/evaluate through the BUILT server, on SQLite
// and on PostgreSQL, next to a bare node:http server answering a fixed JSON body of the same size
// as a gate verdict, all in one run and on loopback. Every target runs in its own process and
// gets the same requests from the same load generator (autocannon, in this process), so the
// ratio to the bare server is what to read: machines are noisy, and a shared one more so.
//
// Realistic requests: a token from `releasepassport token create`, the documented gate request
// shape, enforce mode, and a release id that changes every third request, alternating staging
// and production, so passports are created as well as updated (one create, two updates).
//
// Bounded: BENCH_DURATION_S seconds per target (default 10) after a 2 s warm-up, BENCH_CONNECTIONS
// concurrent connections (default 10). PostgreSQL: RELEASEPASSPORT_BENCH_POSTGRES_URL, else
// RELEASEPASSPORT_TEST_POSTGRES_URL, else postgres://postgres@127.0.0.1:5432/test; a fresh schema
// is made and dropped. Without a reachable PostgreSQL that row says so and is skipped.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import {
  cli,
  expectAllOk,
  load as loadRun,
  machineLine,
  POSTGRES_URL,
  postgresSchema,
  redact,
  runBench,
  startBareServer,
  startServer
} from "./support.mjs"

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10)
const WARMUP_S = 2
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10)
const GATE_PATH = "/releasepassport/v1/gate/evaluate"

const startGateServer = async (database) => {
  await cli(["migrate", "--database", database])
  const token = await cli(["token", "create", "--database", database, "--scope", "gate:evaluate", "--name", "bench"])
  const server = await startServer(database)
  return { ...server, token }
}

const run = `bench-${Date.now().toString(36)}`
const gateRequest = (n) => ({
  mode: "enforce",
  service: { name: "checkout-api", namespace: "apps-checkout", environment: n % 2 === 0 ? "staging" : "production" },
  artifact: { digest: `sha256:${"3f1a9c0e".repeat(8)}` },
  release: { releaseId: `${run}-${Math.floor(n / 3)}`, sourceSha: "9f3c8b7", renderedManifestPath: "rendered/checkout-api.yaml" },
  health: { ready: true, requireHealthyTarget: true },
  rollback: { available: true, verified: true }
})

let sequence = 0
const load = (url, token, durationS) =>
  loadRun({
    url: `${url}${GATE_PATH}`,
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: () => JSON.stringify(gateRequest(sequence++)),
    connections: CONNECTIONS,
    durationS
  })

const measure = async (label, target) => {
  await load(target.url, target.token, WARMUP_S)
  return { label, ...expectAllOk(label, await load(target.url, target.token, DURATION_S)) }
}

await runBench(async (cleanup) => {
  console.log(`${machineLine()}; ${CONNECTIONS} connections, ${DURATION_S} s per target after ${WARMUP_S} s warm-up, loopback`)
  const dir = mkdtempSync(path.join(tmpdir(), "releasepassport-bench-"))
  cleanup(async () => rmSync(dir, { recursive: true, force: true }))
  const sqlite = await startGateServer(`sqlite:${path.join(dir, "bench.db")}`)
  cleanup(sqlite.stop)

  // The bare server answers with a real verdict, byte for byte.
  const sample = await fetch(`${sqlite.url}${GATE_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${sqlite.token}` },
    body: JSON.stringify(gateRequest(-3))
  })
  const verdict = await sample.text()
  if (sample.status !== 200) throw new Error(`sample gate request failed: ${sample.status} ${verdict}`)
  const bare = await startBareServer(verdict)
  cleanup(bare.stop)

  const results = []
  results.push(await measure("bare node:http (fixed body)", { ...bare, token: "none" }))
  results.push(await measure("gate, SQLite", sqlite))
  await sqlite.stop()

  const schema = await postgresSchema()
  if ("skipped" in schema) {
    console.log(`PostgreSQL at ${redact(POSTGRES_URL)} is unreachable (${schema.skipped}): SKIPPED`)
  } else {
    cleanup(schema.drop)
    const postgres = await startGateServer(schema.url)
    cleanup(postgres.stop)
    results.push(await measure("gate, PostgreSQL", postgres))
    await postgres.stop()
  }

  const [baseline] = results
  console.log(`\nresponse body ${Buffer.byteLength(verdict)} bytes; request mix: one new release per 3 requests\n`)
  console.log(`${"target".padEnd(30)} ${"req/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)}   vs bare: req/s    p50     p99   requests`)
  for (const r of results) {
    console.log(
      `${r.label.padEnd(30)} ${r.perSecond.toFixed(0).padStart(8)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)}   ` +
        `${(r.perSecond / baseline.perSecond).toFixed(3).padStart(13)} ${(r.p50 / baseline.p50).toFixed(1).padStart(6)}x ${
          (r.p99 / baseline.p99).toFixed(1).padStart(6)
        }x ${String(r.requests).padStart(9)}`
    )
  }
})
