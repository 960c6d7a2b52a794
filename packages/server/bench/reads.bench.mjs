// npm run bench:reads: the console's read routes on a full workspace. Fills 10 000 passports
// (with their stamps and evaluations) and 100 000 evidence rows straight into the database,
// starts the BUILT server, signs in, and prints p50/p99 and requests/s for the passport list
// (first page, a filtered page, a page 9 000 rows deep) and the passport detail, next to
// GET /auth/session on the same server in the same run: the same session check with no
// passport query, so the ratio is what the reads themselves cost. SQLite, and PostgreSQL
// when reachable. Bounded: BENCH_DURATION_S seconds per route (default 5), BENCH_CONNECTIONS
// connections (default 4); BENCH_PASSPORTS / BENCH_EVIDENCE_PER_PASSPORT change the fill.
import { openDatabase, migrateToLatest } from "@releasepassport/adapters"
import { sql } from "kysely"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { cli, expectAllOk, load, machineLine, POSTGRES_URL, postgresSchema, redact, runBench, startServer } from "./support.mjs"

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 4)
const PASSPORTS = Number(process.env.BENCH_PASSPORTS ?? 10_000)
const EVIDENCE_PER_PASSPORT = Number(process.env.BENCH_EVIDENCE_PER_PASSPORT ?? 10)
const PASSWORD = "bench password, long enough"
const BASE = "/releasepassport/v1"

const chunked = async (rows, size, insert) => {
  for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size))
}

/** Writes the fixture rows in the shape the stores write them (ids, JSON, 0/1 booleans, ISO times). */
const fill = async (url) => {
  const database = await openDatabase(url)
  try {
    const report = await migrateToLatest(database)
    if (report.failed) throw new Error(report.failed.message)
    const db = database.db
    const workspace = await db.selectFrom("workspaces").select("id").where("slug", "=", "default").executeTakeFirstOrThrow()
    const start = Date.parse("2026-01-01T00:00:00Z")
    const iso = (ms) => new Date(ms).toISOString()
    const pad = (n) => String(n).padStart(6, "0")
    const passports = []
    const evaluations = []
    const stamps = []
    const evidence = []
    for (let i = 0; i < PASSPORTS; i++) {
      const id = `pp_BENCH${pad(i)}`
      const at = start + i * 60_000
      const environments = i % 3 === 0 ? ["staging", "production"] : ["staging"]
      passports.push({
        id, workspace_id: workspace.id, service_namespace: `team-${i % 20}`, service_name: `svc-${i % 200}`,
        release_id: `rel-${i}`, artifact_digest: `sha256:${"ab".repeat(32)}`, source_sha: "9f3c8b7",
        created_at: iso(at), updated_at: iso(at + 30_000)
      })
      for (const [e, environment] of environments.entries()) {
        const verdict = i % 7 === 0 && environment === "production" ? "fail" : "pass"
        const blockers = verdict === "fail" ? [{ code: "evidence.failed", policy: "gate/evidence", message: "smoke failed", evidence: [`evd_BENCH${pad(i)}_0`] }] : []
        const evaluationId = `ge_BENCH${pad(i)}_${e}`
        evaluations.push({
          id: evaluationId, workspace_id: workspace.id, passport_id: id, environment, mode: "enforce", verdict,
          allowed: verdict === "pass" ? 1 : 0, would_block: verdict === "pass" ? 0 : 1, blockers: JSON.stringify(blockers),
          warnings: "[]", policy_revision: "src-bench", bundle_digest: `sha256:${"cd".repeat(32)}`,
          request: JSON.stringify({ mode: "enforce", service: { environment } }), token_id: null,
          evaluated_at: iso(at + 20_000 + e), duration_ms: 0.2
        })
        stamps.push({
          passport_id: id, environment, evaluation_id: evaluationId, verdict, mode: "enforce",
          blocker_count: blockers.length, evaluated_at: iso(at + 20_000 + e)
        })
      }
      for (let k = 0; k < EVIDENCE_PER_PASSPORT; k++) {
        evidence.push({
          id: `evd_BENCH${pad(i)}_${k}`, workspace_id: workspace.id, passport_id: id, source: k % 2 === 0 ? "github_actions" : "trivy",
          external_id: `run-${i}`, type: `check-${k}`, version: 1, is_latest: 1, status: k === 0 && i % 7 === 0 ? "failed" : "passed",
          summary: `check ${k} of release ${i}`, url: `https://ci.example.com/runs/${i}/${k}`,
          details: JSON.stringify({ durationMs: 1000 + k, runner: "ubuntu-24.04" }), private: k === 9 ? 1 : 0,
          artifact_digest: `sha256:${"ab".repeat(32)}`, source_sha: "9f3c8b7", digest_mismatch: 0, sha_mismatch: 0,
          content_hash: `${i}-${k}`, redactions: 0, observed_at: iso(at + k), received_at: iso(at + k + 1), token_id: null
        })
      }
    }
    const t = Date.now()
    await chunked(passports, 500, (rows) => db.insertInto("passports").values(rows).execute())
    await chunked(evaluations, 500, (rows) => db.insertInto("gate_evaluations").values(rows).execute())
    await chunked(stamps, 500, (rows) => db.insertInto("passport_stamps").values(rows).execute())
    await chunked(evidence, 500, (rows) => db.insertInto("evidence").values(rows).execute())
    // Fresh planner statistics, as autovacuum would have them on a database this size.
    if (url.startsWith("postgres")) await sql`analyze`.execute(db)
    console.log(`  filled ${passports.length} passports, ${evaluations.length} evaluations, ${evidence.length} evidence rows in ${((Date.now() - t) / 1000).toFixed(1)} s`)
    return passports.map((p) => p.id)
  } finally {
    await database.close()
  }
}

const signIn = async (url) => {
  const login = await fetch(`${url}${BASE}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: url },
    body: JSON.stringify({ email: "bench@example.com", password: PASSWORD })
  })
  const cookie = login.headers.getSetCookie().find((c) => c.startsWith("releasepassport_session="))?.split(";")[0]
  if (login.status !== 204 || cookie === undefined) throw new Error(`sign-in failed: ${login.status} ${await login.text()}`)
  return cookie
}

/** The cursor after `rows` rows, by walking the list like a client would. */
const deepCursor = async (url, cookie, rows) => {
  let cursor = null
  for (let seen = 0; seen < rows; seen += 200) {
    const page = await (await fetch(`${url}${BASE}/passports?limit=200${cursor ? `&cursor=${cursor}` : ""}`, { headers: { cookie } })).json()
    cursor = page.nextCursor
  }
  return cursor
}

const measureTarget = async (label, database, cleanup) => {
  console.log(`${label}:`)
  const ids = await fill(database)
  await cli(["user", "create", "--database", database, "--email", "bench@example.com", "--workspace", "default", "--role", "viewer"], `${PASSWORD}\n`)
  const server = await startServer(database)
  cleanup(server.stop)
  const cookie = await signIn(server.url)
  const cursor = await deepCursor(server.url, cookie, 9_000)
  let next = 0
  const routes = [
    ["GET /auth/session (baseline)", { url: `${server.url}${BASE}/auth/session` }],
    ["list, first page (50)", { url: `${server.url}${BASE}/passports` }],
    ["list, filtered page", { url: `${server.url}${BASE}/passports?environment=production&verdict=fail&namespace=team-7` }],
    ["list, 9000 rows deep", { url: `${server.url}${BASE}/passports?cursor=${cursor}` }],
    ["detail (rotating ids)", { url: `${server.url}${BASE}/passports/${ids[0]}`, path: () => `${BASE}/passports/${ids[(next += 7919) % ids.length]}` }]
  ]
  const results = []
  for (const [name, options] of routes) {
    await load({ ...options, headers: { cookie }, connections: CONNECTIONS, durationS: 1 })
    results.push({ name, ...expectAllOk(`${label} ${name}`, await load({ ...options, headers: { cookie }, connections: CONNECTIONS, durationS: DURATION_S })) })
  }
  await server.stop()
  const [baseline] = results
  console.log(`  ${"route".padEnd(30)} ${"req/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)}   vs baseline: p50    p99`)
  for (const r of results) {
    console.log(
      `  ${r.name.padEnd(30)} ${r.perSecond.toFixed(0).padStart(8)} ${r.p50.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)}   ` +
        `${(r.p50 / baseline.p50).toFixed(1).padStart(15)}x ${(r.p99 / baseline.p99).toFixed(1).padStart(6)}x`
    )
  }
}

await runBench(async (cleanup) => {
  console.log(`${machineLine()}; ${CONNECTIONS} connections, ${DURATION_S} s per route after 1 s warm-up, loopback`)
  const dir = mkdtempSync(path.join(tmpdir(), "releasepassport-bench-"))
  cleanup(async () => rmSync(dir, { recursive: true, force: true }))
  await measureTarget("SQLite", `sqlite:${path.join(dir, "bench.db")}`, cleanup)
  const schema = await postgresSchema()
  if ("skipped" in schema) console.log(`PostgreSQL at ${redact(POSTGRES_URL)} is unreachable (${schema.skipped}): SKIPPED`)
  else {
    cleanup(schema.drop)
    await measureTarget("PostgreSQL", schema.url, cleanup)
  }
})
