// npm run bench:ingest: evidence items stored per second through POST /evidence/ingest for
// batches of 1, 10 and 100 items, on the BUILT server (SQLite, and PostgreSQL when reachable),
// next to a baseline in the same run: a bare node:http server (own process) that reads and
// JSON-parses the same bodies and answers a fixed JSON. Every batch is a new run of a new
// release, so every item is created (the write path, not the "unchanged" shortcut). Bounded by
// BENCH_DURATION_S seconds per run (default 5) with BENCH_CONNECTIONS connections (default 8).
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { cli, expectAllOk, load, machineLine, POSTGRES_URL, postgresSchema, redact, runBench, startBareServer, startServer } from "./support.mjs"

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8)
const SIZES = [1, 10, 100]
const DIGEST = `sha256:${"3f1a9c0e".repeat(8)}`

let counter = 0
const batch = (size) => {
  const run = `${Date.now().toString(36)}-${counter++}`
  return JSON.stringify({
    source: "github_actions",
    externalId: `run-${run}`,
    service: { name: `svc-${counter % 50}`, namespace: "bench" },
    release: { releaseId: `rel-${run}`, sourceSha: "9f3c8b7" },
    artifact: { digest: DIGEST },
    evidence: Array.from({ length: size }, (_, i) => ({
      type: `check-${i}`,
      status: i % 7 === 0 ? "warning" : "passed",
      summary: `check ${i} passed in 1.${i}s on runner ubuntu-24.04`,
      url: `https://ci.example.com/acme/app/actions/runs/${run}/job/${i}`,
      details: { durationMs: 1000 + i, runner: "ubuntu-24.04", attempts: 1 }
    }))
  })
}

const measure = async (label, url, headers, size) => {
  const result = expectAllOk(label, await load({
    url,
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: () => batch(size),
    connections: CONNECTIONS,
    durationS: DURATION_S
  }))
  return { label, size, ...result, itemsPerSecond: result.perSecond * size }
}

await runBench(async (cleanup) => {
  console.log(`${machineLine()}; ${CONNECTIONS} connections, ${DURATION_S} s per run, loopback`)
  const bare = await startBareServer(JSON.stringify({ passportId: "pp_x", items: [], redactions: 0 }), { parseJson: true })
  cleanup(bare.stop)
  const rows = []
  for (const size of SIZES) rows.push(await measure("bare node:http", bare.url, {}, size))

  const dir = mkdtempSync(path.join(tmpdir(), "releasepassport-bench-"))
  cleanup(async () => rmSync(dir, { recursive: true, force: true }))
  const targets = [{ label: "ingest, SQLite", database: `sqlite:${path.join(dir, "bench.db")}` }]
  const schema = await postgresSchema()
  if ("skipped" in schema) console.log(`PostgreSQL at ${redact(POSTGRES_URL)} is unreachable (${schema.skipped}): SKIPPED`)
  else {
    cleanup(schema.drop)
    targets.push({ label: "ingest, PostgreSQL", database: schema.url })
  }
  for (const target of targets) {
    const token = await cli(["token", "create", "--database", target.database, "--scope", "evidence:ingest", "--name", "bench"])
    const server = await startServer(target.database)
    cleanup(server.stop)
    for (const size of SIZES) {
      rows.push(await measure(target.label, `${server.url}/releasepassport/v1/evidence/ingest`, { authorization: `Bearer ${token}` }, size))
    }
    await server.stop()
  }

  console.log(`\n${"target".padEnd(20)} ${"batch".padStart(5)} ${"req/s".padStart(8)} ${"items/s".padStart(9)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)}   items/s vs bare`)
  for (const row of rows) {
    const bareRow = rows.find((r) => r.label === "bare node:http" && r.size === row.size)
    console.log(
      `${row.label.padEnd(20)} ${String(row.size).padStart(5)} ${row.perSecond.toFixed(0).padStart(8)} ${row.itemsPerSecond.toFixed(0).padStart(9)} ` +
        `${row.p50.toFixed(2).padStart(8)} ${row.p99.toFixed(2).padStart(8)}   ${(row.itemsPerSecond / bareRow.itemsPerSecond).toFixed(3)}x`
    )
  }
})
