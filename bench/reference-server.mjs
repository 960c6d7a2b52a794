// The minimal reference for npm run bench:compare: what one gate evaluation costs on this stack
// with nothing but node:http + node:sqlite + opa-wasm, so the gate's own overhead can be read off
// as a ratio. It does the same essential work as POST /gate/evaluate, and no more:
//   token digest lookup (scope, expiry, revocation) -> read the passport, the latest evidence and
//   the connectors -> wasm evaluation of policies/bundle/bundle.tar.gz (verdict `error` when it
//   cannot decide) -> one transaction writing the evaluation, the stamp and the passport.
// Not production code: no sessions, no sanitizing, no problem details, one workspace, and an
// ingest route that exists only so the benchmark can seed evidence the way it seeds the gate.
//
// node bench/reference-server.mjs --database <file> --token-digest <sha256 hex> [--port 0]
// prints "reference listening on http://127.0.0.1:<port>" once it serves.
import { loadPolicy } from "@open-policy-agent/opa-wasm"
import { parseTarGzip } from "nanotar"
import { createHash, randomUUID } from "node:crypto"
import { readFileSync } from "node:fs"
import { createServer } from "node:http"
import { DatabaseSync } from "node:sqlite"
import { parseArgs } from "node:util"

const { values: options } = parseArgs({
  options: {
    database: { type: "string" },
    "token-digest": { type: "string" },
    port: { type: "string", default: "0" },
    bundle: { type: "string", default: new URL("../policies/bundle/bundle.tar.gz", import.meta.url).pathname }
  }
})
if (options.database === undefined || !/^[0-9a-f]{64}$/.test(options["token-digest"] ?? "")) {
  console.error("usage: reference-server.mjs --database <file> --token-digest <sha256 hex of the bearer token>")
  process.exit(2)
}

const ENTRYPOINT = "releasepassport/gate/decision"
const WORKSPACE = "ws_reference"
const MAX_BODY_BYTES = 1024 * 1024
// The gate's defaults (core's evaluateGate budget, the connector rule in core/Connector.ts).
const BUDGET_MS = 250
const CONNECTOR_INTERVAL_MS = 24 * 60 * 60 * 1000
const SILENT_AFTER_INTERVALS = 3

// --- the bundle: loaded once, data set once (repeated setData is known to leak) ---
const bundleBytes = readFileSync(options.bundle)
const files = await parseTarGzip(bundleBytes)
const file = (name) => files.find((f) => f.name.replace(/^\.?\//, "") === name)?.data
const policy = await loadPolicy(file("policy.wasm"), { initial: 5, maximum: 1024 })
policy.setData(JSON.parse(new TextDecoder().decode(file("data.json"))))
const bundleDigest = `sha256:${createHash("sha256").update(bundleBytes).digest("hex")}`
const revision = JSON.parse(new TextDecoder().decode(file(".manifest"))).revision ?? bundleDigest.slice(0, 19)

// --- the store: the same pragmas as the gate's SQLite adapter ---
const db = new DatabaseSync(options.database)
db.exec("PRAGMA busy_timeout = 5000")
db.exec("PRAGMA journal_mode = WAL")
db.exec("PRAGMA synchronous = NORMAL")
db.exec("PRAGMA foreign_keys = ON")
db.exec(`
CREATE TABLE IF NOT EXISTS api_tokens (
  digest TEXT PRIMARY KEY, id TEXT NOT NULL, workspace_id TEXT NOT NULL, scopes TEXT NOT NULL,
  expires_at TEXT NOT NULL, revoked_at TEXT);
CREATE TABLE IF NOT EXISTS passports (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, service_namespace TEXT NOT NULL, service_name TEXT NOT NULL,
  release_id TEXT NOT NULL, artifact_digest TEXT NOT NULL, source_sha TEXT NOT NULL,
  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
  UNIQUE (workspace_id, service_namespace, service_name, release_id));
CREATE TABLE IF NOT EXISTS evidence (
  id TEXT PRIMARY KEY, passport_id TEXT NOT NULL REFERENCES passports(id), source TEXT NOT NULL,
  external_id TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL, summary TEXT NOT NULL,
  artifact_digest TEXT NOT NULL, source_sha TEXT NOT NULL, observed_at TEXT NOT NULL, received_at TEXT NOT NULL,
  is_latest INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS evidence_latest ON evidence (passport_id, is_latest);
CREATE TABLE IF NOT EXISTS connectors (
  workspace_id TEXT NOT NULL, source TEXT NOT NULL, environments TEXT NOT NULL,
  expected_interval_seconds INTEGER, last_seen_at TEXT, PRIMARY KEY (workspace_id, source));
CREATE TABLE IF NOT EXISTS gate_evaluations (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, passport_id TEXT NOT NULL REFERENCES passports(id),
  environment TEXT NOT NULL, mode TEXT NOT NULL, verdict TEXT NOT NULL, allowed INTEGER NOT NULL,
  would_block INTEGER NOT NULL, blockers TEXT NOT NULL, warnings TEXT NOT NULL, policy_revision TEXT NOT NULL,
  bundle_digest TEXT NOT NULL, request TEXT NOT NULL, token_id TEXT NOT NULL, evaluated_at TEXT NOT NULL,
  duration_ms REAL NOT NULL);
CREATE INDEX IF NOT EXISTS gate_evaluations_passport ON gate_evaluations (passport_id, evaluated_at);
CREATE TABLE IF NOT EXISTS passport_stamps (
  passport_id TEXT NOT NULL REFERENCES passports(id), environment TEXT NOT NULL, evaluation_id TEXT NOT NULL,
  verdict TEXT NOT NULL, mode TEXT NOT NULL, blocker_count INTEGER NOT NULL, evaluated_at TEXT NOT NULL,
  PRIMARY KEY (passport_id, environment));
`)
// The benchmark's one token: only its digest is known here, as in the gate.
db.prepare(
  `INSERT OR REPLACE INTO api_tokens (digest, id, workspace_id, scopes, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, NULL)`
).run(options["token-digest"], "tok_reference", WORKSPACE, "gate:evaluate evidence:ingest", new Date(Date.now() + 86_400_000).toISOString())

// Prepared once: statement compilation is part of what a minimal server does not repeat.
const sql = {
  token: db.prepare(`SELECT id, workspace_id, scopes, expires_at, revoked_at FROM api_tokens WHERE digest = ?`),
  passport: db.prepare(
    `SELECT id, release_id, artifact_digest, source_sha FROM passports
     WHERE workspace_id = ? AND service_namespace = ? AND service_name = ? AND release_id = ?`
  ),
  evidence: db.prepare(
    `SELECT id, source, type, status, summary, artifact_digest, source_sha, observed_at, received_at FROM evidence
     WHERE passport_id = ? AND is_latest = 1 ORDER BY type, source, external_id`
  ),
  connectors: db.prepare(`SELECT source, environments, expected_interval_seconds, last_seen_at FROM connectors WHERE workspace_id = ?`),
  upsertPassport: db.prepare(
    `INSERT INTO passports (id, workspace_id, service_namespace, service_name, release_id, artifact_digest, source_sha, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (workspace_id, service_namespace, service_name, release_id) DO UPDATE SET updated_at = excluded.updated_at
     RETURNING id, artifact_digest, source_sha`
  ),
  insertEvaluation: db.prepare(
    `INSERT INTO gate_evaluations (id, workspace_id, passport_id, environment, mode, verdict, allowed, would_block, blockers,
       warnings, policy_revision, bundle_digest, request, token_id, evaluated_at, duration_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
  ),
  upsertStamp: db.prepare(
    `INSERT INTO passport_stamps (passport_id, environment, evaluation_id, verdict, mode, blocker_count, evaluated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (passport_id, environment) DO UPDATE SET evaluation_id = excluded.evaluation_id, verdict = excluded.verdict,
       mode = excluded.mode, blocker_count = excluded.blocker_count, evaluated_at = excluded.evaluated_at
     WHERE passport_stamps.evaluated_at <= excluded.evaluated_at`
  ),
  unlatest: db.prepare(
    `UPDATE evidence SET is_latest = 0 WHERE passport_id = ? AND source = ? AND external_id = ? AND type = ? AND is_latest = 1`
  ),
  insertEvidence: db.prepare(
    `INSERT INTO evidence (id, passport_id, source, external_id, type, status, summary, artifact_digest, source_sha,
       observed_at, received_at, is_latest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`
  ),
  seenConnector: db.prepare(
    `INSERT INTO connectors (workspace_id, source, environments, expected_interval_seconds, last_seen_at) VALUES (?, ?, '[]', NULL, ?)
     ON CONFLICT (workspace_id, source) DO UPDATE SET last_seen_at = excluded.last_seen_at`
  )
}

/** One transaction; node:sqlite is synchronous, so nothing else runs in this process meanwhile. */
const transaction = (work) => {
  db.exec("BEGIN IMMEDIATE")
  try {
    const result = work()
    db.exec("COMMIT")
    return result
  } catch (error) {
    db.exec("ROLLBACK")
    throw error
  }
}

class HttpError extends Error {
  constructor(status, code) {
    super(code)
    this.status = status
  }
}

/** Bearer token -> its row, by SHA-256 digest (the lookup is the comparison: no token value is stored). */
const authenticate = (header, scope, now) => {
  if (typeof header !== "string" || !header.startsWith("Bearer ") || header.length < 8) throw new HttpError(401, "unauthenticated")
  const row = sql.token.get(createHash("sha256").update(header.slice(7)).digest("hex"))
  if (row === undefined || row.revoked_at !== null || row.expires_at <= now.toISOString()) throw new HttpError(401, "unauthenticated")
  if (!row.scopes.split(" ").includes(scope)) throw new HttpError(403, "forbidden")
  return row
}

const isObject = (value) => typeof value === "object" && value !== null && !Array.isArray(value)
const isText = (value) => typeof value === "string" && value.length > 0

/** The structural part of the gate's request schema; content rules are the policy's. */
const checkGateRequest = (body) => {
  const ok = isObject(body) && (body.mode === "shadow" || body.mode === "enforce") &&
    isObject(body.service) && isText(body.service.name) && isText(body.service.namespace) && isText(body.service.environment) &&
    isObject(body.artifact) && typeof body.artifact.digest === "string" &&
    isObject(body.release) && isText(body.release.releaseId) && isText(body.release.sourceSha) &&
    (body.release.renderedManifestPath === undefined || typeof body.release.renderedManifestPath === "string") &&
    isObject(body.health) && typeof body.health.ready === "boolean" && typeof body.health.requireHealthyTarget === "boolean" &&
    isObject(body.rollback) && typeof body.rollback.available === "boolean" && typeof body.rollback.verified === "boolean"
  if (!ok) throw new HttpError(422, "invalid_request")
  return body
}

const freshness = (row, nowMs) => {
  if (row.last_seen_at === null) return "never_seen"
  const interval = (row.expected_interval_seconds ?? CONNECTOR_INTERVAL_MS / 1000) * 1000
  const age = nowMs - Date.parse(row.last_seen_at)
  return age <= interval ? "fresh" : age <= SILENT_AFTER_INTERVALS * interval ? "stale" : "silent"
}

const toFinding = (f) => ({
  code: f.code,
  policy: f.policy,
  message: f.message,
  ...(f.remediation === undefined ? {} : { remediation: f.remediation }),
  ...(f.evidence === undefined ? {} : { evidence: f.evidence })
})
const byCode = (a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)

/** The wasm decision, or undefined when the policy cannot decide (fail closed: verdict error). */
const decide = (input) => {
  const started = performance.now()
  let result
  try {
    result = policy.evaluate(input, ENTRYPOINT)[0]?.result
  } catch {
    result = undefined
  }
  const durationMs = performance.now() - started
  const valid = isObject(result) && Array.isArray(result.deny) && Array.isArray(result.warn) &&
    [...result.deny, ...result.warn].every((f) => isObject(f) && isText(f.code) && typeof f.message === "string")
  return { decision: valid && durationMs <= BUDGET_MS ? result : undefined, durationMs }
}

const evaluateGate = (headers, body) => {
  const now = new Date()
  const nowIso = now.toISOString()
  const token = authenticate(headers.authorization, "gate:evaluate", now)
  const request = checkGateRequest(body)
  const found = sql.passport.get(token.workspace_id, request.service.namespace, request.service.name, request.release.releaseId)
  const passport = {
    id: found?.id ?? `pp_${randomUUID()}`,
    releaseId: request.release.releaseId,
    artifactDigest: found?.artifact_digest ?? request.artifact.digest,
    sourceSha: found?.source_sha ?? request.release.sourceSha,
    service: { name: request.service.name, namespace: request.service.namespace }
  }
  const nowMs = now.getTime()
  const evidence = found === undefined ? [] : sql.evidence.all(found.id).map((row) => ({
    id: row.id,
    source: row.source,
    type: row.type,
    status: row.status,
    summary: row.summary,
    artifactDigest: row.artifact_digest,
    sourceSha: row.source_sha,
    observedAt: row.observed_at,
    receivedAt: row.received_at,
    ageSeconds: Math.max(0, Math.floor((nowMs - Date.parse(row.observed_at)) / 1000))
  }))
  const connectors = sql.connectors.all(token.workspace_id).map((row) => ({
    source: row.source,
    freshness: freshness(row, nowMs),
    environments: JSON.parse(row.environments)
  }))

  // Evaluated before the write transaction: policy time never holds the write lock. Between
  // the reads above and the write below nothing else runs in this process (all synchronous);
  // another process creating the same passport meanwhile is answered by the upsert's RETURNING.
  const { decision, durationMs } = decide({ request, passport, evidence, connectors, now: nowIso })
  const blockers = decision === undefined
    ? [{ code: "policy.evaluation_failed", policy: "gate", message: "the policy could not be evaluated" }]
    : decision.deny.map(toFinding).sort(byCode)
  const warnings = decision === undefined ? [] : decision.warn.map(toFinding).sort(byCode)
  const verdict = decision === undefined ? "error" : blockers.length > 0 ? "fail" : warnings.length > 0 ? "warn" : "pass"
  const wouldBlock = verdict === "fail" || verdict === "error"
  const allowed = request.mode === "shadow" || !wouldBlock
  const evaluationId = `ge_${randomUUID()}`

  const passportId = transaction(() => {
    const stored = sql.upsertPassport.get(
      passport.id, token.workspace_id, request.service.namespace, request.service.name, request.release.releaseId,
      passport.artifactDigest, passport.sourceSha, nowIso, nowIso
    )
    sql.insertEvaluation.run(
      evaluationId, token.workspace_id, stored.id, request.service.environment, request.mode, verdict, allowed ? 1 : 0,
      wouldBlock ? 1 : 0, JSON.stringify(blockers), JSON.stringify(warnings), revision, bundleDigest, JSON.stringify(request),
      token.id, nowIso, Math.round(durationMs * 1000) / 1000
    )
    sql.upsertStamp.run(stored.id, request.service.environment, evaluationId, verdict, request.mode, blockers.length, nowIso)
    return stored.id
  })

  return {
    evaluationId,
    passportId,
    mode: request.mode,
    verdict,
    allowed,
    wouldBlock,
    blockers,
    warnings,
    policy: { revision, bundleDigest, entrypoint: ENTRYPOINT },
    evaluatedAt: nowIso,
    service: request.service,
    release: { releaseId: request.release.releaseId, sourceSha: request.release.sourceSha },
    artifact: { digest: request.artifact.digest }
  }
}

/** Only for seeding: the documented ingest body, stored as the latest version of each item. */
const ingestEvidence = (headers, body) => {
  const now = new Date().toISOString()
  const token = authenticate(headers.authorization, "evidence:ingest", new Date())
  if (!isObject(body) || !isText(body.source) || !isText(body.externalId) || !Array.isArray(body.evidence)) {
    throw new HttpError(422, "invalid_request")
  }
  return transaction(() => {
    const passport = sql.upsertPassport.get(
      `pp_${randomUUID()}`, token.workspace_id, body.service.namespace, body.service.name, body.release.releaseId,
      body.artifact.digest, body.release.sourceSha, now, now
    )
    for (const item of body.evidence) {
      sql.unlatest.run(passport.id, body.source, body.externalId, item.type)
      sql.insertEvidence.run(
        `evd_${randomUUID()}`, passport.id, body.source, body.externalId, item.type, item.status, item.summary ?? "",
        body.artifact.digest, body.release.sourceSha, item.observedAt ?? now, now
      )
    }
    sql.seenConnector.run(token.workspace_id, body.source, now)
    return { passportId: passport.id, stored: body.evidence.length }
  })
}

const routes = {
  "/releasepassport/v1/gate/evaluate": evaluateGate,
  "/releasepassport/v1/evidence/ingest": ingestEvidence
}

const reply = (response, status, value) => {
  const body = Buffer.from(JSON.stringify(value))
  response.writeHead(status, { "content-type": "application/json", "content-length": body.length })
  response.end(body)
}

const server = createServer((request, response) => {
  const route = request.method === "POST" ? routes[request.url] : undefined
  if (route === undefined) return reply(response, 404, { code: "not_found" })
  const chunks = []
  let size = 0
  request.on("data", (chunk) => {
    size += chunk.length
    if (size <= MAX_BODY_BYTES) chunks.push(chunk)
  })
  request.on("end", () => {
    if (size > MAX_BODY_BYTES) return reply(response, 413, { code: "body_too_large" })
    let body
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"))
    } catch {
      return reply(response, 400, { code: "invalid_json" })
    }
    try {
      reply(response, 200, route(request.headers, body))
    } catch (error) {
      if (error instanceof HttpError) return reply(response, error.status, { code: error.message })
      // Never echo internals; the benchmark only needs to see that it failed.
      console.error("reference: request failed:", error instanceof Error ? error.message : String(error))
      reply(response, 500, { code: "internal" })
    }
  })
})

server.listen(Number(options.port), "127.0.0.1", () => {
  console.log(`reference listening on http://127.0.0.1:${server.address().port}`)
})
process.on("SIGTERM", () => {
  server.close(() => {
    db.close()
    process.exit(0)
  })
  server.closeAllConnections()
})
