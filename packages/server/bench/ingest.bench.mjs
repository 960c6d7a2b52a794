// npm run bench:ingest: evidence items stored per second through POST /evidence/ingest for
// batches of 1, 10 and 100 items, against the built server on SQLite (and PostgreSQL when
// RELEASEPASSPORT_BENCH_POSTGRES_URL or 127.0.0.1:5432 answers), next to a baseline measured in
// the same run: a bare node:http server that reads and JSON-parses the same bodies and answers
// a fixed JSON. Loopback only, bounded by duration. Figures are noisy; the ratio is what to compare.
import autocannon from "autocannon"
import { spawn, spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:http"
import { tmpdir } from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import pg from "pg"

const BIN = fileURLToPath(new URL("../bin/releasepassport.js", import.meta.url))
const DURATION = Number(process.env.BENCH_DURATION_SECONDS ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8)
const POSTGRES_URL = process.env.RELEASEPASSPORT_BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test"
const DIGEST = `sha256:${"3f1a9c0e".repeat(8)}`

const cli = (args) => {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" })
  if (result.status !== 0) throw new Error(`releasepassport ${args[0]} failed: ${result.stderr}`)
  return result.stdout.trim()
}

const startServer = (database) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--database", database], { stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    const onData = (chunk) => {
      output += chunk
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match) resolve({ url: match[1], stop: () => child.kill("SIGTERM") })
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", (chunk) => (output += chunk))
    child.on("exit", (code) => reject(new Error(`server exited ${code}: ${output}`)))
  })

let counter = 0
/** A batch of `size` items for a new run of a new release each time, so every item is created. */
const batch = (size) => {
  const run = `${Date.now()}-${counter++}`
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

const drive = (url, size, headers) =>
  new Promise((resolve, reject) => {
    autocannon({
      url,
      method: "POST",
      connections: CONNECTIONS,
      duration: DURATION,
      headers: { "content-type": "application/json", ...headers },
      requests: [{ setupRequest: (request) => ({ ...request, body: batch(size) }) }]
    }, (error, result) => (error ? reject(error) : resolve(result)))
  })

const report = (label, size, result) => {
  const ok = result["2xx"]
  const rps = ok / result.duration
  if (result.non2xx > 0 || result.errors > 0) console.log(`  (${label}: ${result.non2xx} non-2xx, ${result.errors} errors)`)
  return { label, size, requestsPerSecond: rps, itemsPerSecond: rps * size, p50: result.latency.p50, p99: result.latency.p99 }
}

const baseline = await new Promise((resolve) => {
  const answer = JSON.stringify({ passportId: "pp_x", items: [], redactions: 0 })
  const server = createServer((request, response) => {
    let body = ""
    request.setEncoding("utf8")
    request.on("data", (chunk) => (body += chunk))
    request.on("end", () => {
      JSON.parse(body)
      response.writeHead(200, { "content-type": "application/json" })
      response.end(answer)
    })
  })
  server.listen(0, "127.0.0.1", () => resolve({ url: `http://127.0.0.1:${server.address().port}`, stop: () => server.close() }))
})

const targets = []
const dir = mkdtempSync(path.join(tmpdir(), "rp-bench-ingest-"))
targets.push({ label: "sqlite", database: `sqlite:${path.join(dir, "bench.db")}` })
let schema
try {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 })
  await client.connect()
  schema = `rp_bench_${randomBytes(4).toString("hex")}`
  await client.query(`create schema ${schema}`)
  await client.end()
  const url = new URL(POSTGRES_URL)
  url.searchParams.set("options", `-c search_path=${schema}`)
  targets.push({ label: "postgres", database: url.toString() })
} catch (error) {
  console.log(`PostgreSQL not measured (${error.message})`)
}

console.log(`node ${process.version}, ${DURATION}s per run, ${CONNECTIONS} connections, loopback`)
const rows = []
try {
  for (const size of [1, 10, 100]) rows.push(report("bare node:http", size, await drive(baseline.url, size, {})))
  for (const target of targets) {
    const token = cli(["token", "create", "--database", target.database, "--scope", "evidence:ingest", "--name", "bench"])
    const server = await startServer(target.database)
    try {
      for (const size of [1, 10, 100]) {
        rows.push(report(target.label, size, await drive(`${server.url}/releasepassport/v1/evidence/ingest`, size, { authorization: `Bearer ${token}` })))
      }
    } finally {
      server.stop()
    }
  }
} finally {
  baseline.stop()
  rmSync(dir, { recursive: true, force: true })
  if (schema !== undefined) {
    const client = new pg.Client({ connectionString: POSTGRES_URL })
    await client.connect()
    await client.query(`drop schema ${schema} cascade`)
    await client.end()
  }
}

console.log("\ntarget          batch   requests/s    items/s   p50 ms   p99 ms   items/s vs bare")
for (const row of rows) {
  const bare = rows.find((r) => r.label === "bare node:http" && r.size === row.size)
  console.log(
    `${row.label.padEnd(15)} ${String(row.size).padStart(5)} ${row.requestsPerSecond.toFixed(0).padStart(12)} ${row.itemsPerSecond.toFixed(0).padStart(10)} ${String(row.p50).padStart(8)} ${String(row.p99).padStart(8)}   ${(row.itemsPerSecond / bare.itemsPerSecond).toFixed(3)}x`
  )
}
