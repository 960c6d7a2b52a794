// The full workspace the read benchmarks measure (bench:reads, bench:console): 10 000 passports
// with their stamps and evaluations and 100 000 evidence rows, written straight into the database.
import { openDatabase, migrateToLatest } from "@releasepassport/adapters"
import { sql } from "kysely"

const PASSPORTS = Number(process.env.BENCH_PASSPORTS ?? 10_000)
const EVIDENCE_PER_PASSPORT = Number(process.env.BENCH_EVIDENCE_PER_PASSPORT ?? 10)

const chunked = async (rows, size, insert) => {
  for (let i = 0; i < rows.length; i += size) await insert(rows.slice(i, i + size))
}

/** Writes the fixture rows in the shape the stores write them (ids, JSON, 0/1 booleans, ISO times). */
/** Fills the database at `url` (migrating it first); the passport ids, oldest first. */
export const fill = async (url) => {
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
