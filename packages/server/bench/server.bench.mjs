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
import autocannon from "autocannon"
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import pg from "pg"

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10)
const WARMUP_S = 2
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10)
const POSTGRES_URL = process.env.RELEASEPASSPORT_BENCH_POSTGRES_URL ?? process.env.RELEASEPASSPORT_TEST_POSTGRES_URL ??
  "postgres://postgres@127.0.0.1:5432/test"
const REPO = fileURLToPath(new URL("../../../", import.meta.url))
const BIN = path.join(REPO, "packages/server/bin/releasepassport.js")
const GATE_PATH = "/releasepassport/v1/gate/evaluate"

const redact = (url) => {
  const parsed = new URL(url)
  if (parsed.password !== "") parsed.password = "***"
  return parsed.toString()
}

/** Runs the CLI to completion; rejects with its output (never the environment) when it fails. */
const cli = (args) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("close", (code) =>
      code === 0 ? resolve(stdout.trim()) : reject(new Error(`releasepassport ${args[0]} failed (${code}): ${stderr}`)))
  })

/** Starts a process and waits for the line that says where it listens. */
const listening = (args, pattern) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`did not start in 30 s:\n${output}`))
    }, 30_000)
    const onData = (chunk) => {
      output += chunk
      const match = pattern.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve({
          url: match[1],
          stop: () =>
            new Promise((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done()
              child.once("exit", () => done())
              child.kill("SIGTERM")
            })
        })
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", (chunk) => (output += chunk))
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code} before listening:\n${output}`))
    })
  })

const startGateServer = async (database) => {
  await cli(["migrate", "--database", database])
  const token = await cli(["token", "create", "--database", database, "--scope", "gate:evaluate", "--name", "bench"])
  const server = await listening([BIN, "serve", "--port", "0", "--database", database], /listening on (http:\/\/\S+)/)
  return { ...server, token }
}

// Its own process, like the gate servers, so it does not share an event loop with autocannon.
const startBareServer = (body) =>
  listening([
    "--input-type=module",
    "-e",
    `import { createServer } from "node:http"
const body = Buffer.from(${JSON.stringify(body)})
const server = createServer((request, response) => {
  request.resume()
  request.on("end", () => {
    response.writeHead(200, { "content-type": "application/json", "content-length": body.length })
    response.end(body)
  })
})
server.listen(0, "127.0.0.1", () => console.log("bare listening on http://127.0.0.1:" + server.address().port))
process.on("SIGTERM", () => server.close(() => process.exit(0)))`
  ], /listening on (http:\/\/\S+)/)

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
/** One load run; latencies taken from every response at full resolution (autocannon's are whole ms). */
const load = async (url, token, durationS) => {
  const latencies = []
  const statuses = {}
  const instance = autocannon({
    url: `${url}${GATE_PATH}`,
    connections: CONNECTIONS,
    duration: durationS,
    timeout: 10,
    requests: [{
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      setupRequest: (request) => ({ ...request, body: JSON.stringify(gateRequest(sequence++)) })
    }]
  })
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime)
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1
  })
  const result = await instance
  latencies.sort((a, b) => a - b)
  const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN
  return {
    perSecond: latencies.length / result.duration,
    p50: pick(0.5),
    p99: pick(0.99),
    requests: latencies.length,
    statuses,
    errors: result.errors
  }
}

const measure = async (label, target) => {
  await load(target.url, target.token, WARMUP_S)
  const result = await load(target.url, target.token, DURATION_S)
  const failed = Object.entries(result.statuses).filter(([status]) => status !== "200")
  if (failed.length > 0 || result.errors > 0) {
    throw new Error(`${label}: not every request succeeded: statuses ${JSON.stringify(result.statuses)}, errors ${result.errors}`)
  }
  return { label, ...result }
}

const postgresSchema = async () => {
  const schema = `rp_bench_${randomBytes(6).toString("hex")}`
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3000 })
  client.on("error", () => undefined)
  try {
    await client.connect()
    await client.query(`create schema ${schema}`)
  } catch (error) {
    return { skipped: error instanceof Error ? error.message : String(error) }
  } finally {
    await client.end().catch(() => undefined)
  }
  const url = new URL(POSTGRES_URL)
  url.searchParams.set("options", `-c search_path=${schema}`)
  return {
    url: url.toString(),
    drop: async () => {
      const admin = new pg.Client({ connectionString: POSTGRES_URL })
      await admin.connect()
      await admin.query(`drop schema if exists ${schema} cascade`).finally(() => admin.end())
    }
  }
}

const cleanups = []
const main = async () => {
  console.log(
    `node ${process.version}, ${availableParallelism()} cpus (${cpus()[0]?.model ?? "?"}), load ${loadavg().map((l) => l.toFixed(1)).join(" ")}; ` +
      `${CONNECTIONS} connections, ${DURATION_S} s per target after ${WARMUP_S} s warm-up, loopback`
  )
  const dir = mkdtempSync(path.join(tmpdir(), "releasepassport-bench-"))
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }))
  const sqlite = await startGateServer(`sqlite:${path.join(dir, "bench.db")}`)
  cleanups.push(sqlite.stop)

  // The bare server answers with a real verdict, byte for byte.
  const sample = await fetch(`${sqlite.url}${GATE_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${sqlite.token}` },
    body: JSON.stringify(gateRequest(-3))
  })
  const verdict = await sample.text()
  if (sample.status !== 200) throw new Error(`sample gate request failed: ${sample.status} ${verdict}`)
  const bare = await startBareServer(verdict)
  cleanups.push(bare.stop)

  const results = []
  results.push(await measure("bare node:http (fixed body)", { ...bare, token: "none" }))
  results.push(await measure("gate, SQLite", sqlite))
  await sqlite.stop()

  const schema = await postgresSchema()
  if ("skipped" in schema) {
    console.log(`PostgreSQL at ${redact(POSTGRES_URL)} is unreachable (${schema.skipped}): SKIPPED`)
  } else {
    cleanups.push(schema.drop)
    const postgres = await startGateServer(schema.url)
    cleanups.push(postgres.stop)
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
}

try {
  await main()
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 1
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
}
