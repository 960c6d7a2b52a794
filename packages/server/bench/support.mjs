// Shared by the benchmarks: start the BUILT server and the CLI as child processes, a bare
// node:http baseline in its own process, a throwaway PostgreSQL schema, and one autocannon
// load run with full-resolution latencies. Loopback only; every run is bounded by duration.
import autocannon from "autocannon"
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import pg from "pg"
import { fill } from "./fill.mjs"

export const REPO = fileURLToPath(new URL("../../../", import.meta.url))
export const BIN = path.join(REPO, "packages/cli/bin/releasepassport.js")
export const POSTGRES_URL = process.env.RELEASEPASSPORT_BENCH_POSTGRES_URL ?? process.env.RELEASEPASSPORT_TEST_POSTGRES_URL ??
  "postgres://postgres@127.0.0.1:5432/test"

export const redact = (url) => {
  const parsed = new URL(url)
  if (parsed.password !== "") parsed.password = "***"
  return parsed.toString()
}

export const machineLine = () =>
  `node ${process.version}, ${availableParallelism()} cpus (${cpus()[0]?.model ?? "?"}), load ${
    loadavg().map((l) => l.toFixed(1)).join(" ")
  }`

/** Runs the CLI to completion; rejects with its output (never the environment) when it fails. */
export const cli = (args, input) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ["pipe", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.on("close", (code) =>
      code === 0 ? resolve(stdout.trim()) : reject(new Error(`releasepassport ${args[0]} failed (${code}): ${stderr}`)))
    child.stdin.end(input ?? "")
  })

/** Starts a process and waits for the line that says where it listens. */
export const listening = (args, pattern = /listening on (http:\/\/\S+)/) =>
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
          pid: child.pid,
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

export const startServer = (database, args = []) => listening([BIN, "serve", "--port", "0", "--database", database, ...args])

/**
 * The baseline: a bare node:http server in its own process (so it does not share an event loop
 * with the load generator) that reads the whole request, optionally JSON-parses it, and answers
 * a fixed body.
 */
export const startBareServer = (body, { parseJson = false } = {}) =>
  listening([
    "--input-type=module",
    "-e",
    `import { createServer } from "node:http"
const body = Buffer.from(${JSON.stringify(body)})
const server = createServer((request, response) => {
  const chunks = []
  request.on("data", (chunk) => chunks.push(chunk))
  request.on("end", () => {
    ${parseJson ? "JSON.parse(Buffer.concat(chunks).toString('utf8'))" : ""}
    response.writeHead(200, { "content-type": "application/json", "content-length": body.length })
    response.end(body)
  })
})
server.listen(0, "127.0.0.1", () => console.log("bare listening on http://127.0.0.1:" + server.address().port))
process.on("SIGTERM", () => server.close(() => process.exit(0)))`
  ])

/** A fresh schema in the benchmark PostgreSQL, or `{ skipped }` with the reason. */
export const postgresSchema = async () => {
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

/**
 * One bounded load run against `url`. `body` and `path` (optional) make each request's body and
 * path (to vary what is asked for); latencies
 * are taken from every response at full resolution (autocannon's summary is whole ms).
 */
export const load = async ({ url, method = "GET", headers = {}, body, path: pathOf, connections, durationS }) => {
  const latencies = []
  const statuses = {}
  const instance = autocannon({
    url,
    connections,
    duration: durationS,
    timeout: 10,
    requests: [{
      method,
      headers,
      setupRequest: (request) => ({
        ...request,
        ...(body === undefined ? {} : { body: body() }),
        ...(pathOf === undefined ? {} : { path: pathOf() })
      })
    }]
  })
  instance.on("response", (_client, statusCode, _bytes, responseTime) => {
    latencies.push(responseTime)
    statuses[statusCode] = (statuses[statusCode] ?? 0) + 1
  })
  const result = await instance
  latencies.sort((a, b) => a - b)
  const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN
  return { perSecond: latencies.length / result.duration, p50: pick(0.5), p99: pick(0.99), requests: latencies.length, statuses, errors: result.errors }
}

/** Fails loudly when a measured run was not all 2xx: a fast error is not a result. */
export const expectAllOk = (label, result) => {
  const failed = Object.entries(result.statuses).filter(([status]) => !status.startsWith("2"))
  if (failed.length > 0 || result.errors > 0) {
    throw new Error(`${label}: not every request succeeded: statuses ${JSON.stringify(result.statuses)}, errors ${result.errors}`)
  }
  return result
}

/** Runs `main`, then every cleanup registered (servers, schemas, temp dirs), even on failure. */
export const runBench = async (main) => {
  const cleanups = []
  try {
    await main((cleanup) => cleanups.push(cleanup))
  } catch (error) {
    console.error(error instanceof Error ? error.message : error)
    process.exitCode = 1
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined)
  }
}

/** A throwaway SQLite database in a temporary directory, removed at the end of the run. */
export const sqliteDatabase = (cleanup, prefix = "releasepassport-bench-") => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  cleanup(async () => rmSync(dir, { recursive: true, force: true }))
  return `sqlite:${path.join(dir, "bench.db")}`
}

/** `measure(label, databaseUrl, cleanup)` on SQLite, then on PostgreSQL when it is reachable (else a SKIPPED line). */
export const onEachDatabase = async (cleanup, measure, prefix) => {
  await measure("SQLite", sqliteDatabase(cleanup, prefix), cleanup)
  const schema = await postgresSchema()
  if ("skipped" in schema) console.log(`PostgreSQL at ${redact(POSTGRES_URL)} is unreachable (${schema.skipped}): SKIPPED`)
  else {
    cleanup(schema.drop)
    await measure("PostgreSQL", schema.url, cleanup)
  }
}

const READER_EMAIL = "bench@example.com"
const READER_PASSWORD = "bench password, long enough"

/**
 * The read benches' server: the database filled with passports and evidence (fill.mjs), a
 * viewer in the default workspace, the BUILT server on it, and that viewer's session cookie.
 */
export const filledServerWithReader = async (database, cleanup) => {
  const ids = await fill(database)
  await cli(["user", "create", "--database", database, "--email", READER_EMAIL, "--workspace", "default", "--role", "viewer"], `${READER_PASSWORD}\n`)
  const server = await startServer(database)
  cleanup(server.stop)
  const login = await fetch(`${server.url}/releasepassport/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: server.url },
    body: JSON.stringify({ email: READER_EMAIL, password: READER_PASSWORD })
  })
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith("releasepassport_session="))?.split(";")[0]
  if (login.status !== 204 || cookie === undefined) throw new Error(`sign-in failed: ${login.status} ${await login.text()}`)
  return { ids, server, cookie }
}
