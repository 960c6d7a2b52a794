// npm run bench:reports: the decision export on a full window. Fills BENCH_EVALUATIONS
// evaluations (default 100 000, over 10 000 passports, tokens joined) straight into the
// database, starts the BUILT server, and streams GET /reports/decisions as CSV and as JSONL
// with a reports:read token: rows/s and the server's peak RSS while exporting. Next to it, in
// the same run, the baseline: a plain SELECT of the same rows (same columns and order, no
// report code, no HTTP) in a fresh process: rows/s and its peak RSS. The export should be
// slower per row (it encodes, redacts and sends) but its memory should stay flat, where the
// plain SELECT holds every row. SQLite, and PostgreSQL when reachable.
import { openDatabase, migrateToLatest } from "@releasepassport/adapters"
import { sql } from "kysely"
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { BIN, cli, machineLine, onEachDatabase, redact, REPO, runBench } from "../packages/server/bench/support.mjs"

const EVALUATIONS = Number(process.env.BENCH_EVALUATIONS ?? 100_000)
const PER_PASSPORT = 10
const WINDOW = "since=2025-12-01T00:00:00Z&until=2026-12-01T00:00:00Z"
const SELF = fileURLToPath(import.meta.url)

const kib = (pid, field) => {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))
  return match === null ? NaN : Number(match[1])
}
const mib = (k) => (k / 1024).toFixed(0)

/** The baseline, run in its own process: every row of the window in one SELECT, as a plain reader would. */
const plainSelect = async (url, workspaceId) => {
  const database = await openDatabase(url)
  const before = kib("self", "VmRSS")
  const t = performance.now()
  const rows = await database.db.selectFrom("gate_evaluations as e")
    .innerJoin("passports as p", "p.id", "e.passport_id")
    .leftJoin("api_tokens as t", "t.id", "e.token_id")
    .select(["e.id", "e.passport_id", "p.service_name", "p.service_namespace", "e.environment", "p.release_id", "p.artifact_digest",
      "p.source_sha", "e.mode", "e.verdict", "e.allowed", "e.would_block", "e.blockers", "e.warnings", "e.policy_revision",
      "e.bundle_digest", "e.evaluated_at", "t.id as token_id", "t.name as token_name"])
    .where("e.workspace_id", "=", workspaceId)
    .where("e.evaluated_at", ">=", "2025-12-01T00:00:00Z").where("e.evaluated_at", "<", "2026-12-01T00:00:00Z")
    .orderBy("e.evaluated_at").orderBy("e.id").execute()
  const ms = performance.now() - t
  await database.close()
  console.log(JSON.stringify({ rows: rows.length, ms, peakKib: kib("self", "VmHWM"), beforeKib: before }))
}

if (process.argv[2] === "--select") {
  await plainSelect(process.argv[3], process.argv[4])
  process.exit(0)
}

const fill = async (url, tokenId) => {
  const database = await openDatabase(url)
  try {
    const report = await migrateToLatest(database)
    if (report.failed) throw new Error(report.failed.message)
    const db = database.db
    const workspace = await db.selectFrom("workspaces").select("id").where("slug", "=", "default").executeTakeFirstOrThrow()
    const start = Date.parse("2026-01-01T00:00:00Z")
    const iso = (ms) => new Date(ms).toISOString()
    const pad = (n) => String(n).padStart(6, "0")
    const t = Date.now()
    const passports = EVALUATIONS / PER_PASSPORT
    for (let from = 0; from < passports; from += 1000) {
      const batch = []
      const evaluations = []
      for (let i = from; i < Math.min(passports, from + 1000); i++) {
        const id = `pp_BENCH${pad(i)}`
        batch.push({
          id, workspace_id: workspace.id, service_namespace: `team-${i % 20}`, service_name: `svc-${i % 200}`,
          release_id: `rel-${i}`, artifact_digest: `sha256:${"ab".repeat(32)}`, source_sha: "9f3c8b7",
          created_at: iso(start + i * 60_000), updated_at: iso(start + i * 60_000)
        })
        for (let k = 0; k < PER_PASSPORT; k++) {
          const fail = (i + k) % 5 === 0
          evaluations.push({
            id: `ge_BENCH${pad(i)}_${k}`, workspace_id: workspace.id, passport_id: id, environment: k % 2 === 0 ? "staging" : "production",
            mode: k % 3 === 0 ? "enforce" : "shadow", verdict: fail ? "fail" : "pass", allowed: fail && k % 3 === 0 ? 0 : 1,
            would_block: fail ? 1 : 0,
            blockers: JSON.stringify(fail ? [{ code: "smoke.missing", policy: "gate/smoke", message: "no passed smoke", remediation: "run the smoke" }] : []),
            warnings: "[]", policy_revision: "src-bench", bundle_digest: `sha256:${"cd".repeat(32)}`,
            request: JSON.stringify({ mode: "enforce" }), token_id: tokenId, evaluated_at: iso(start + i * 60_000 + k * 1000), duration_ms: 0.2
          })
        }
      }
      await db.insertInto("passports").values(batch).execute()
      for (let j = 0; j < evaluations.length; j += 500) await db.insertInto("gate_evaluations").values(evaluations.slice(j, j + 500)).execute()
    }
    if (url.startsWith("postgres")) await sql`analyze`.execute(db)
    console.log(`  filled ${passports} passports, ${EVALUATIONS} evaluations in ${((Date.now() - t) / 1000).toFixed(1)} s`)
    return workspace.id
  } finally {
    await database.close()
  }
}

const serve = (database) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--database", database], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    const onData = (chunk) => {
      output += chunk
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match !== null) {
        resolve({
          url: match[1],
          pid: child.pid,
          stop: () => new Promise((done) => (child.exitCode !== null ? done() : (child.once("exit", () => done()), child.kill("SIGTERM"))))
        })
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", (chunk) => (output += chunk))
    child.once("exit", (code) => reject(new Error(`server exited with ${code}:\n${output}`)))
  })

/** Streams one export, counting lines, while sampling the server's RSS. */
const exportOnce = async (server, token, format) => {
  const before = kib(server.pid, "VmRSS")
  let peak = before
  const sampler = setInterval(() => (peak = Math.max(peak, kib(server.pid, "VmRSS"))), 10)
  const t = performance.now()
  const response = await fetch(`${server.url}/releasepassport/v1/reports/decisions?format=${format}&${WINDOW}`, { headers: { authorization: `Bearer ${token}` } })
  if (response.status !== 200) throw new Error(`export ${format}: ${response.status} ${await response.text()}`)
  let lines = 0
  for await (const chunk of response.body) for (const byte of chunk) if (byte === 10) lines++
  const ms = performance.now() - t
  clearInterval(sampler)
  peak = Math.max(peak, kib(server.pid, "VmRSS"))
  return { rows: format === "csv" ? lines - 1 : lines, ms, peakKib: peak, beforeKib: before }
}

const selectInChild = (url, workspaceId) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SELF, "--select", url, workspaceId], { cwd: REPO, stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.on("data", (chunk) => (out += chunk))
    child.on("close", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").at(-1))) : reject(new Error(`select exited ${code}`))))
  })

const line = (name, r) =>
  console.log(`  ${name.padEnd(34)} ${String(r.rows).padStart(8)} ${(r.rows / (r.ms / 1000)).toFixed(0).padStart(10)} ` +
    `${mib(r.peakKib).padStart(10)} ${mib(r.peakKib - r.beforeKib).padStart(10)}`)

const measure = async (label, database, cleanup) => {
  console.log(`${label}:`)
  await cli(["migrate", "--database", database])
  const created = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "token", "create", "--database", database, "--scope", "reports:read", "--name", "bench"], { cwd: REPO })
    let out = ""
    let err = ""
    child.stdout.on("data", (c) => (out += c))
    child.stderr.on("data", (c) => (err += c))
    child.on("close", (code) => (code === 0 ? resolve({ value: out.trim(), id: /created (tok_\w+)/.exec(err)?.[1] }) : reject(new Error(err))))
  })
  const workspaceId = await fill(database, created.id)
  const server = await serve(database)
  cleanup(server.stop)
  await exportOnce(server, created.value, "jsonl") // warm-up
  const results = [
    ["plain SELECT (baseline, buffered)", await selectInChild(database, workspaceId)],
    ["export CSV (streamed over HTTP)", await exportOnce(server, created.value, "csv")],
    ["export JSONL (streamed over HTTP)", await exportOnce(server, created.value, "jsonl")]
  ]
  await server.stop()
  console.log(`  ${"".padEnd(34)} ${"rows".padStart(8)} ${"rows/s".padStart(10)} ${"peak MiB".padStart(10)} ${"+MiB".padStart(10)}`)
  for (const [name, r] of results) {
    if (r.rows !== EVALUATIONS) throw new Error(`${name}: ${r.rows} rows, expected ${EVALUATIONS}`)
    line(name, r)
  }
  const [base, csv] = results.map(([, r]) => r)
  console.log(`  CSV export vs SELECT: ${(csv.ms / base.ms).toFixed(1)}x the time, ${mib(csv.peakKib - csv.beforeKib)} vs ${mib(base.peakKib - base.beforeKib)} MiB of growth`)
}

await runBench(async (cleanup) => {
  console.log(`${machineLine()}; ${EVALUATIONS} evaluations; RSS sampled every 10 ms (server) / VmHWM (SELECT process)`)
  await onEachDatabase(cleanup, measure, "releasepassport-bench-reports-")
})
