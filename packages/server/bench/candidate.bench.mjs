// npm run bench:candidate: gate throughput with a candidate bundle in shadow vs without, in the
// same run, on the same BUILT server (SQLite): two workspaces, one with the shipped bundle as its
// candidate (so every gate there evaluates the policy twice, on two policy threads at once), one
// without. Rounds alternate between them so machine noise falls on both; read the ratio.
//
// Bounded: BENCH_ROUNDS rounds (default 3) of BENCH_DURATION_S seconds per workspace (default 5)
// after a 2 s warm-up each, BENCH_CONNECTIONS concurrent connections (default 10).
import { readFileSync } from "node:fs"
import path from "node:path"
import { cli, expectAllOk, load, machineLine, REPO, runBench, sqliteDatabase, startServer } from "./support.mjs"

const DURATION_S = Math.min(Number(process.env.BENCH_DURATION_S ?? 5), 15)
const ROUNDS = Math.min(Number(process.env.BENCH_ROUNDS ?? 3), 10)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10)
const GATE = "/releasepassport/v1/gate/evaluate"
const BUNDLE = readFileSync(path.join(REPO, "policies/bundle/bundle.tar.gz"))

const run = `bench-${Date.now().toString(36)}`
let sequence = 0
const gateRequest = (n) => ({
  mode: "enforce",
  service: { name: "checkout-api", namespace: "apps-checkout", environment: n % 2 === 0 ? "staging" : "production" },
  artifact: { digest: `sha256:${"3f1a9c0e".repeat(8)}` },
  release: { releaseId: `${run}-${Math.floor(n / 3)}`, sourceSha: "9f3c8b7", renderedManifestPath: "rendered/checkout-api.yaml" },
  health: { ready: true, requireHealthyTarget: true },
  rollback: { available: true, verified: true }
})

const measure = (url, token, durationS) =>
  load({
    url: `${url}${GATE}`,
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: () => JSON.stringify(gateRequest(sequence++)),
    connections: CONNECTIONS,
    durationS
  })

await runBench(async (cleanup) => {
  console.log(`${machineLine()}; ${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION_S} s per workspace, loopback, SQLite`)
  const database = sqliteDatabase(cleanup)
  await cli(["migrate", "--database", database])
  const tokens = {}
  for (const slug of ["plain", "shadowed"]) {
    await cli(["workspace", "create", "--database", database, "--slug", slug, "--name", slug])
    tokens[slug] = (await cli(["token", "create", "--database", database, "--workspace", slug, "--scope", "gate:evaluate", "--scope", "policy:write"])).trim()
  }
  const server = await startServer(database)
  cleanup(server.stop)

  const auth = { authorization: `Bearer ${tokens.shadowed}` }
  const uploaded = await fetch(`${server.url}/releasepassport/v1/policies/bundles`, {
    method: "PUT", body: BUNDLE, headers: { ...auth, "content-type": "application/gzip" }
  })
  const { bundle } = await uploaded.json()
  const candidate = await fetch(`${server.url}/releasepassport/v1/policies/bundles/${encodeURIComponent(bundle.digest)}/candidate`, { method: "POST", headers: auth })
  if (candidate.status !== 200) throw new Error(`candidate not set: ${candidate.status} ${await candidate.text()}`)
  const probe = await (await fetch(`${server.url}${GATE}`, {
    method: "POST", body: JSON.stringify(gateRequest(-3)), headers: { ...auth, "content-type": "application/json" }
  })).json()
  if (probe.candidate === undefined) throw new Error("the shadowed workspace's gate carries no candidate verdict")

  const totals = { plain: [], shadowed: [] }
  for (const slug of ["plain", "shadowed"]) await measure(server.url, tokens[slug], 2)
  for (let round = 0; round < ROUNDS; round++) {
    for (const slug of round % 2 === 0 ? ["plain", "shadowed"] : ["shadowed", "plain"]) {
      totals[slug].push(expectAllOk(slug, await measure(server.url, tokens[slug], DURATION_S)))
    }
  }
  const summary = (results) => ({
    perSecond: results.reduce((sum, r) => sum + r.perSecond, 0) / results.length,
    p50: results.reduce((sum, r) => sum + r.p50, 0) / results.length,
    p99: results.reduce((sum, r) => sum + r.p99, 0) / results.length
  })
  const plain = summary(totals.plain)
  const shadowed = summary(totals.shadowed)
  console.log(`\n${"workspace".padEnd(28)} ${"req/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)}`)
  for (const [label, r] of [["no candidate", plain], ["candidate in shadow", shadowed]]) {
    console.log(`${label.padEnd(28)} ${r.perSecond.toFixed(0).padStart(8)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)}`)
  }
  console.log(`\nwith a candidate / without: req/s ${(shadowed.perSecond / plain.perSecond).toFixed(3)}, p50 ${(shadowed.p50 / plain.p50).toFixed(2)}x`)
})
