import { openDatabase } from "@releasepassport/adapters"
import type { SqlDatabase, Tables } from "@releasepassport/adapters"
import { createHash } from "node:crypto"
import { isDeepStrictEqual } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, BASE, cliOk, createToken, ReplicaBalancer, SESSION_COOKIE, signIn, startServer } from "@releasepassport/testing"
import type { BalancedAnswer, BalancedRequest, RunningServer, Session, TestDatabase } from "@releasepassport/testing"

/**
 * Three `releasepassport serve` processes on one PostgreSQL schema under a bounded, concurrent,
 * mixed load (evidence ingestion, gate evaluations, console reads), spread over the replicas
 * round robin by a client-side balancer. Every answer goes into a ledger; afterwards the
 * database must hold exactly what the clients were told: no lost or altered evidence, one
 * passport per release, every evaluation once, stamps that are the latest evaluation, and
 * idempotency keys that hold their answer.
 *
 * The second phase kills one replica with SIGKILL in the middle of the load. Clients that lose
 * a request to it (refused, reset, cut mid-answer) take it out of their rotation and send the
 * same request to another replica, with the same Idempotency-Key where there was one. A lost
 * request may still have committed before the process died, so the ledger accounts for it:
 * - evidence with an Idempotency-Key: the retry answers what was committed; nothing untold.
 * - evidence without one: items are content-addressed, so a retry of a committed batch answers
 *   `unchanged` with the committed ids. Only when another batch changed the same item in between
 *   does the retry store a new version, leaving the lost request's version untold: at most one
 *   untold version per item of a lost request without a key, with exactly that content.
 * - gate evaluations are not idempotent (every evaluation is kept, as the README says of lost
 *   answers): at most one untold evaluation per gate request that lost an attempt, and it must
 *   be that request's (each gate request carries its sequence number in renderedManifestPath).
 * Each phase runs in a workspace of its own, so its checks see only its own rows.
 *
 * Reads check read-your-writes across replicas: a passport read must show every evaluation and
 * evidence version any client was answered about before the read was sent, whichever replica
 * wrote it. A third of the traffic goes to a few "hot" releases and batches list their items in
 * any order, so requests on different replicas race on the same rows.
 */

const postgres = (await adapterChoices()).find((choice) => choice.adapter === "postgres")
if (postgres === undefined) console.warn("*** SKIPPING the replica load test: it needs PostgreSQL, and ADAPTERS leaves it out.")

/**
 * Operations per phase (an operation is one request, two for a list read that follows its
 * cursor, more when a lost attempt is retried), and the hard limit of each phase's load: past
 * it no new request starts and the phase fails. Both phases are the issue's 10 000 operations;
 * a phase takes ~40 s on a quiet 2-core machine and ~80 s next to the rest of the suite, so the
 * limits leave room for a slow machine without letting a hang pass.
 */
const STEADY = { operations: 10_000, limitMs: 150_000 }
const FAILOVER = { operations: 10_000, limitMs: 150_000 }
/** Requests in flight at once, over all replicas. */
const CONCURRENCY = 48
const REQUEST_TIMEOUT_MS = 20_000
const RELEASES = 160
const PASSWORD = "replica load reader password"
const SEED = Number(process.env["REPLICAS_LOAD_SEED"] ?? Date.now() % 2 ** 31)

// ---------------------------------------------------------------------------------------------
// The workload: releases, evidence item identities and their contents
// ---------------------------------------------------------------------------------------------

type Environment = "staging" | "production"
type Mode = "shadow" | "enforce"
type EvidenceStatus = "passed" | "failed" | "warning"

interface Release {
  readonly service: { readonly name: string; readonly namespace: string }
  readonly releaseId: string
  readonly sourceSha: string
  readonly digest: string
  /** Releases without evidence get gate requests only: their verdicts are known in advance. */
  readonly withEvidence: boolean
  readonly identities: ReadonlyArray<Identity>
}

/** One evidence item content; `details.contentId` names it in the database too. */
interface ItemContent {
  readonly contentId: string
  readonly type: string
  readonly status: EvidenceStatus
  readonly summary: string
  readonly details: { readonly contentId: string; readonly checks: number; readonly note: string }
}

/** A batch's identity (source, externalId) on one release, and the item types it reports. */
interface Identity {
  readonly release: Release
  readonly source: string
  readonly externalId: string
  readonly types: ReadonlyArray<string>
  readonly bodies: Array<Body>
}

interface Body {
  readonly identity: Identity
  readonly items: ReadonlyArray<ItemContent>
  readonly json: string
}

const SERVICES = [
  { name: "checkout-api", namespace: "apps-checkout" },
  { name: "payments-api", namespace: "apps-payments" },
  { name: "search-api", namespace: "apps-search" },
  { name: "ledger-worker", namespace: "apps-ledger" }
] as const
const IDENTITY_SHAPES = [
  { source: "github_actions", types: ["build", "lint", "smoke", "unit"] },
  { source: "jenkins", types: ["e2e", "perf", "smoke"] },
  { source: "trivy", types: ["sbom", "vuln-scan"] }
] as const
/** Releases being rolled out right now: a third of the traffic goes to them, so requests race on them. */
const HOT_RELEASES = 8

/** mulberry32: a small seeded generator, so a failing mix can be replayed with REPLICAS_LOAD_SEED. */
const generator = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const hex = (text: string) => createHash("sha256").update(text).digest("hex")

class Workload {
  readonly releases: ReadonlyArray<Release>
  private contents = 0
  readonly random: () => number

  constructor(readonly phase: string, seed: number) {
    this.random = generator(seed)
    this.releases = Array.from({ length: RELEASES }, (_, r) => {
      const identities: Array<Identity> = []
      const release: Release = {
        service: SERVICES[r % SERVICES.length]!,
        releaseId: `${phase}-rel-${r}`,
        sourceSha: hex(`${phase}-sha-${r}`).slice(0, 40),
        digest: `sha256:${hex(`${phase}-digest-${r}`)}`,
        withEvidence: r % 2 === 0,
        identities
      }
      if (release.withEvidence) {
        for (const shape of IDENTITY_SHAPES) {
          identities.push({ release, source: shape.source, externalId: `${phase}-run-${r}-${shape.source}`, types: shape.types, bodies: [] })
        }
      }
      return release
    })
  }

  pick<A>(items: ReadonlyArray<A>): A {
    return items[Math.floor(this.random() * items.length)]!
  }

  /** A release for the next request: often one of the hot ones. */
  release(candidates: ReadonlyArray<Release>): Release {
    return this.chance(1 / 3) ? this.pick(candidates.slice(0, HOT_RELEASES)) : this.pick(candidates)
  }

  chance(p: number): boolean {
    return this.random() < p
  }

  private content(type: string): ItemContent {
    const contentId = `${this.phase}-c${this.contents++}`
    // Smoke mostly passes (it decides production verdicts); the rest varies.
    const status: EvidenceStatus = type === "smoke"
      ? (this.chance(0.8) ? "passed" : "failed")
      : this.pick(["passed", "passed", "failed", "warning"] as const)
    const checks = 1 + Math.floor(this.random() * 500)
    return {
      contentId,
      type,
      status,
      summary: `${type} ${status}: ${checks} checks (${contentId})`,
      details: { contentId, checks, note: `report ${contentId} for ${type}` }
    }
  }

  /** A batch for an identity: the first one, or a re-run in which some items changed. */
  newBody(identity: Identity): Body {
    const previous = identity.bodies.at(-1)
    let items: Array<ItemContent>
    if (previous === undefined) {
      items = identity.types.map((type) => this.content(type))
    } else {
      const changed = new Set(identity.types.filter(() => this.chance(0.5)))
      if (changed.size === 0) changed.add(this.pick(identity.types))
      items = identity.types.map((type) =>
        changed.has(type) ? this.content(type) : previous.items.find((item) => item.type === type) ?? this.content(type))
    }
    // In any order: pipelines list their items as they like, and two batches naming the same
    // items in opposite orders must not lock them in opposite orders (a deadlock in PostgreSQL).
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1))
      ;[items[i], items[j]] = [items[j]!, items[i]!]
    }
    const release = identity.release
    const batch = {
      source: identity.source,
      externalId: identity.externalId,
      service: release.service,
      release: { releaseId: release.releaseId, sourceSha: release.sourceSha },
      artifact: { digest: release.digest },
      evidence: items.map((item) => ({ type: item.type, status: item.status, summary: item.summary, details: item.details }))
    }
    const body: Body = { identity, items, json: JSON.stringify(batch) }
    identity.bodies.push(body)
    return body
  }
}

// ---------------------------------------------------------------------------------------------
// The ledger: what every answer said
// ---------------------------------------------------------------------------------------------

interface IngestOp {
  readonly seq: number
  readonly body: Body
  readonly key: string | undefined
  lost: number
  answer?: any
}

interface GateOp {
  readonly seq: number
  readonly release: Release
  readonly environment: Environment
  readonly mode: Mode
  lost: number
  answer?: any
}

interface ToldEvidence {
  readonly identity: Identity
  readonly item: ItemContent
  readonly version: number
  readonly passportId: string
}

const identityKey = (source: string, externalId: string, type: string) => `${source}\u0000${externalId}\u0000${type}`

class Ledger {
  readonly problems: Array<string> = []
  private problemCount = 0
  readonly ingests: Array<IngestOp> = []
  readonly gates: Array<GateOp> = []
  reads = 0
  httpRequests = 0
  lostAttempts = 0
  /** Lost attempts that were a keep-alive connection closed as idle, not a crash (see ReplicaBalancer). */
  staleConnections = 0
  /** Idempotency keys in use, with the body they were first sent with (for replays). */
  readonly keyed: Array<{ key: string; body: Body }> = []
  readonly passportsByRelease = new Map<string, Set<string>>()
  readonly knownPassports: Array<string> = []
  readonly evaluations = new Map<string, GateOp>()
  readonly evidence = new Map<string, ToldEvidence>()
  readonly createdByIdentity = new Map<string, string>()
  readonly evaluationsByPassport = new Map<string, Set<string>>()
  readonly evidenceByPassport = new Map<string, Set<string>>()
  readonly answersByKey = new Map<string, any>()
  readonly seenInReads = { passports: new Set<string>(), evaluations: new Set<string>(), evidence: new Set<string>() }

  problem(message: string) {
    this.problemCount++
    if (this.problems.length < 30) this.problems.push(message)
  }

  get problemTotal() {
    return this.problemCount
  }

  private add(map: Map<string, Set<string>>, key: string, value: string) {
    let set = map.get(key)
    if (set === undefined) map.set(key, (set = new Set()))
    set.add(value)
  }

  passport(release: Release, passportId: string) {
    const seen = this.passportsByRelease.get(release.releaseId)
    if (seen === undefined) this.knownPassports.push(passportId)
    this.add(this.passportsByRelease, release.releaseId, passportId)
  }

  ingestAnswered(op: IngestOp, answer: any) {
    op.answer = answer
    const { identity } = op.body
    this.passport(identity.release, answer.passportId)
    if (op.key !== undefined) {
      const first = this.answersByKey.get(op.key)
      if (first === undefined) this.answersByKey.set(op.key, answer)
      else if (!isDeepStrictEqual(first, answer)) {
        this.problem(`Idempotency-Key ${op.key} answered differently: ${JSON.stringify(first)} then ${JSON.stringify(answer)}`)
      }
    }
    const types = answer.items.map((item: { type: string }) => item.type)
    if (!isDeepStrictEqual(types, op.body.items.map((item) => item.type))) {
      this.problem(`ingest #${op.seq}: answered items ${types.join(",")} for ${op.body.items.map((i) => i.type).join(",")}`)
    }
    for (const told of answer.items as Array<{ id: string; type: string; version: number; outcome: string }>) {
      const item = op.body.items.find((i) => i.type === told.type)
      if (item === undefined) continue
      if (
        !(told.outcome === "created" && told.version === 1) && !(told.outcome === "updated" && told.version > 1) &&
        told.outcome !== "unchanged"
      ) this.problem(`ingest #${op.seq}: ${told.type} ${told.outcome} as version ${told.version}`)
      if (told.outcome === "created") {
        const key = identityKey(identity.source, identity.externalId, told.type)
        const created = this.createdByIdentity.get(key)
        if (created === undefined) this.createdByIdentity.set(key, told.id)
        else if (created !== told.id) this.problem(`${key} created twice: ${created} and ${told.id}`)
      }
      const before = this.evidence.get(told.id)
      if (before === undefined) {
        this.evidence.set(told.id, { identity, item, version: told.version, passportId: answer.passportId })
        this.add(this.evidenceByPassport, answer.passportId, told.id)
      } else if (
        before.identity !== identity || before.item.contentId !== item.contentId || before.version !== told.version ||
        before.passportId !== answer.passportId
      ) {
        this.problem(`evidence ${told.id} told as ${before.item.contentId} v${before.version} and as ${item.contentId} v${told.version}`)
      }
    }
  }

  gateAnswered(op: GateOp, answer: any) {
    op.answer = answer
    this.passport(op.release, answer.passportId)
    if (this.evaluations.has(answer.evaluationId)) this.problem(`evaluation ${answer.evaluationId} answered twice`)
    this.evaluations.set(answer.evaluationId, op)
    this.add(this.evaluationsByPassport, answer.passportId, answer.evaluationId)
    const blockers = (answer.blockers as Array<{ code: string }>).map((b) => b.code)
    if (answer.mode !== op.mode || answer.verdict === "error") {
      this.problem(`gate #${op.seq}: mode ${answer.mode}, verdict ${answer.verdict} ${JSON.stringify(answer.blockers)}`)
    }
    if (answer.wouldBlock !== blockers.length > 0 || answer.allowed !== (op.mode === "shadow" || !answer.wouldBlock)) {
      this.problem(`gate #${op.seq}: allowed ${answer.allowed}, wouldBlock ${answer.wouldBlock} with blockers ${blockers}`)
    }
    // Without evidence, production misses its required smoke and staging passes: known in advance.
    if (!op.release.withEvidence) {
      const expected = op.environment === "production" ? ["evidence.required_missing"] : []
      if (!isDeepStrictEqual(blockers, expected)) this.problem(`gate #${op.seq} (no evidence, ${op.environment}): blockers ${blockers}`)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// One phase of load
// ---------------------------------------------------------------------------------------------

interface PhaseSetup {
  readonly name: string
  readonly workspace: string
  readonly token: string
  readonly session: Session
  readonly servers: ReadonlyArray<RunningServer>
  readonly operations: number
  readonly limitMs: number
  /** Kill this replica with SIGKILL once this many operations have started. */
  readonly kill?: { readonly replica: number; readonly afterOperations: number }
}

interface PhaseRun {
  readonly ledger: Ledger
  readonly workload: Workload
  readonly seconds: number
  readonly operations: number
  readonly inFlightAtKill: number
  readonly lostGateOps: ReadonlySet<number>
  /** Per item content: how many requests without an Idempotency-Key carried it and lost an attempt. */
  readonly lostKeylessContents: ReadonlyMap<string, number>
}

const runPhase = async (setup: PhaseSetup, seed: number): Promise<PhaseRun> => {
  const workload = new Workload(setup.name, seed)
  const ledger = new Ledger()
  const balancer = new ReplicaBalancer(setup.servers.map((server) => server.url), {
    socketsPerReplica: CONCURRENCY,
    timeoutMs: REQUEST_TIMEOUT_MS
  })
  const bearer = { authorization: `Bearer ${setup.token}` }
  const cookie = { cookie: `${SESSION_COOKIE}=${setup.session.cookie}` }
  const lostGateOps = new Set<number>()
  const lostKeylessContents = new Map<string, number>()
  const withEvidence = workload.releases.filter((release) => release.withEvidence)
  let inFlightAtKill = -1

  const send = async (request: BalancedRequest, what: string): Promise<BalancedAnswer | undefined> => {
    const answer = await balancer.send(request)
    ledger.httpRequests += 1 + answer.lost.length
    ledger.lostAttempts += answer.lost.length
    ledger.staleConnections += answer.lost.filter((lost) => lost.stale).length
    if (setup.kill === undefined && answer.lost.some((lost) => !lost.stale)) {
      ledger.problem(`${what}: lost a connection with every replica up: ${JSON.stringify(answer.lost)}`)
    }
    if (answer.status !== 200) {
      // A 500 names a correlation id: the replica's log line for it says what went wrong.
      const correlationId: unknown = answer.json?.correlationId
      const logged = typeof correlationId === "string"
        ? setup.servers[answer.replica]!.output().split("\n").find((line) => line.includes(correlationId))?.slice(0, 300)
        : undefined
      ledger.problem(`${what}: ${answer.status} from replica ${answer.replica}: ${logged ?? answer.text.slice(0, 300)}`)
      return undefined
    }
    return answer
  }

  const ingest = async (seq: number) => {
    const identity = workload.pick(workload.release(withEvidence).identities)
    let body: Body
    let key: string | undefined
    const roll = workload.random()
    if (roll < 0.15 && ledger.keyed.length > 0) {
      // A replay: an earlier request, key and body, sent again (a pipeline step re-run).
      const earlier = workload.pick(ledger.keyed)
      body = earlier.body
      key = earlier.key
    } else {
      // A first run or a re-run with changed content, or an identical re-send of an earlier batch.
      body = roll < 0.4 && identity.bodies.length > 0 ? workload.pick(identity.bodies) : workload.newBody(identity)
      if (workload.chance(0.5)) {
        key = `${setup.name}-key-${seq}`
        ledger.keyed.push({ key, body })
      }
    }
    const op: IngestOp = { seq, body, key, lost: 0 }
    ledger.ingests.push(op)
    const answer = await send({
      method: "POST",
      path: `${BASE}/evidence/ingest`,
      headers: key === undefined ? bearer : { ...bearer, "idempotency-key": key },
      body: body.json
    }, `ingest #${seq}`)
    if (answer === undefined) return
    op.lost = answer.lost.length
    if (op.lost > 0 && key === undefined) {
      for (const item of body.items) lostKeylessContents.set(item.contentId, (lostKeylessContents.get(item.contentId) ?? 0) + 1)
    }
    ledger.ingestAnswered(op, answer.json)
  }

  const gate = async (seq: number) => {
    const release = workload.release(workload.releases)
    const op: GateOp = {
      seq,
      release,
      environment: workload.chance(0.5) ? "production" : "staging",
      mode: workload.chance(0.5) ? "shadow" : "enforce",
      lost: 0
    }
    ledger.gates.push(op)
    const answer = await send({
      method: "POST",
      path: `${BASE}/gate/evaluate`,
      headers: bearer,
      body: JSON.stringify({
        mode: op.mode,
        service: { ...release.service, environment: op.environment },
        artifact: { digest: release.digest },
        // The sequence number travels into the stored request: the database check finds the
        // request behind every evaluation, answered or not.
        release: { releaseId: release.releaseId, sourceSha: release.sourceSha, renderedManifestPath: `rendered/${seq}.yaml` },
        health: { ready: true, requireHealthyTarget: true },
        rollback: { available: true, verified: true }
      })
    }, `gate #${seq}`)
    if (answer === undefined) return
    op.lost = answer.lost.length
    if (op.lost > 0) lostGateOps.add(seq)
    ledger.gateAnswered(op, answer.json)
  }

  const listPage = async (seq: number) => {
    const filters = ["", "&environment=production", "&verdict=fail", "&mode=shadow", `&service=${workload.pick(SERVICES).name}`]
    let query = `workspace=${setup.workspace}&limit=${workload.pick([20, 50, 100])}${workload.pick(filters)}`
    const pages = workload.chance(0.3) ? 2 : 1
    for (let page = 0; page < pages; page++) {
      const answer = await send({ method: "GET", path: `${BASE}/passports?${query}`, headers: cookie }, `list #${seq}`)
      if (answer === undefined) return
      for (const item of answer.json.items) {
        ledger.seenInReads.passports.add(item.id)
        for (const environment of item.environments) ledger.seenInReads.evaluations.add(environment.evaluationId)
      }
      if (answer.json.nextCursor === null) return
      query = `workspace=${setup.workspace}&limit=20&cursor=${encodeURIComponent(answer.json.nextCursor)}`
    }
  }

  const detail = async (seq: number) => {
    if (ledger.knownPassports.length === 0) return listPage(seq)
    const id = workload.pick(ledger.knownPassports)
    // Read-your-writes across replicas: what any client was told before this read was sent
    // is committed, so whichever replica answers must show it.
    const evaluationsBefore = [...(ledger.evaluationsByPassport.get(id) ?? [])]
    const evidenceBefore = [...(ledger.evidenceByPassport.get(id) ?? [])]
    const answer = await send({ method: "GET", path: `${BASE}/passports/${id}?workspace=${setup.workspace}`, headers: cookie }, `detail #${seq}`)
    if (answer === undefined) return
    const body = answer.json
    const evaluations = new Set<string>(body.evaluations.map((e: { id: string }) => e.id))
    const evidence = new Set<string>(body.evidence.map((e: { id: string }) => e.id))
    for (const e of evaluations) ledger.seenInReads.evaluations.add(e)
    for (const e of evidence) ledger.seenInReads.evidence.add(e)
    ledger.seenInReads.passports.add(body.id)
    if (body.evaluationsTotal < evaluationsBefore.length || (body.evaluationsTotal <= 200 && evaluationsBefore.some((e) => !evaluations.has(e)))) {
      ledger.problem(`detail #${seq} of ${id} from replica ${answer.replica} misses evaluations answered before it was sent`)
    }
    if (body.evidenceTotal < evidenceBefore.length || (body.evidenceTotal <= 500 && evidenceBefore.some((e) => !evidence.has(e)))) {
      ledger.problem(`detail #${seq} of ${id} from replica ${answer.replica} misses evidence answered before it was sent`)
    }
  }

  let next = 0
  let failure: unknown
  const started = performance.now()
  const deadline = Date.now() + setup.limitMs
  const worker = async () => {
    while (next < setup.operations && Date.now() < deadline && failure === undefined) {
      const seq = next++
      if (setup.kill !== undefined && seq === setup.kill.afterOperations) {
        inFlightAtKill = balancer.inFlight[setup.kill.replica]!
        setup.servers[setup.kill.replica]!.process.kill("SIGKILL")
      }
      const roll = workload.random()
      try {
        if (roll < 0.4) await ingest(seq)
        else if (roll < 0.8) await gate(seq)
        else if (roll < 0.9) await listPage(seq)
        else await detail(seq)
      } catch (error) {
        failure ??= error
      }
      if (roll >= 0.8) ledger.reads++
    }
  }
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  } finally {
    balancer.close()
  }
  if (failure !== undefined) throw failure
  return {
    ledger,
    workload,
    seconds: (performance.now() - started) / 1000,
    operations: next,
    inFlightAtKill,
    lostGateOps,
    lostKeylessContents
  }
}

// ---------------------------------------------------------------------------------------------
// The database, against the ledger
// ---------------------------------------------------------------------------------------------

interface Accounting {
  readonly passports: number
  readonly evaluations: number
  readonly untoldEvaluations: number
  readonly evidence: number
  readonly untoldEvidence: number
  readonly idempotencyKeys: number
}

/**
 * Compares a phase's workspace in the database with its ledger; returns what did not match.
 * `failover`: untold rows are allowed only as the file's header explains.
 */
const checkDatabase = async (
  direct: SqlDatabase<Tables>,
  workspaceId: string,
  run: PhaseRun,
  failover: boolean
): Promise<{ problems: Array<string>; accounting: Accounting }> => {
  const { ledger, workload } = run
  const { readJson } = direct.traits
  const problems: Array<string> = []
  const problem = (message: string) => {
    if (problems.length < 30) problems.push(message)
  }
  const db = direct.db
  const [passports, evaluations, stamps, evidence, keys] = await Promise.all([
    db.selectFrom("passports").selectAll().where("workspace_id", "=", workspaceId).execute(),
    db.selectFrom("gate_evaluations").select(["id", "passport_id", "environment", "mode", "verdict", "allowed", "would_block", "blockers", "request", "evaluated_at"])
      .where("workspace_id", "=", workspaceId).execute(),
    db.selectFrom("passport_stamps").innerJoin("passports", "passports.id", "passport_stamps.passport_id")
      .selectAll("passport_stamps").where("passports.workspace_id", "=", workspaceId).execute(),
    db.selectFrom("evidence").selectAll().where("workspace_id", "=", workspaceId).execute(),
    db.selectFrom("idempotency_keys").selectAll().where("workspace_id", "=", workspaceId).execute()
  ])
  const time = (value: string | Date) => new Date(value).getTime()

  // Passports: one per release, the one every client was told about, first seen with its digest and sha.
  const releases = new Map(workload.releases.map((release) => [release.releaseId, release]))
  const passportIds = new Set(passports.map((p) => p.id))
  const byIdentity = new Map<string, number>()
  for (const p of passports) {
    const identity = `${p.service_namespace}/${p.service_name}/${p.release_id}`
    byIdentity.set(identity, (byIdentity.get(identity) ?? 0) + 1)
    const release = releases.get(p.release_id)
    const told = ledger.passportsByRelease.get(p.release_id)
    if (release === undefined || told === undefined) {
      problem(`passport ${p.id} for ${identity}: no client was told about it`)
      continue
    }
    if (told.size !== 1 || !told.has(p.id)) problem(`release ${p.release_id}: clients were told ${[...told]}, stored ${p.id}`)
    if (p.service_name !== release.service.name || p.service_namespace !== release.service.namespace) problem(`passport ${p.id}: service ${identity}`)
    if (p.artifact_digest !== release.digest || p.source_sha !== release.sourceSha) problem(`passport ${p.id}: digest or sha overwritten`)
  }
  for (const [identity, count] of byIdentity) if (count > 1) problem(`${count} passports for ${identity}`)
  for (const [releaseId, told] of ledger.passportsByRelease) {
    for (const id of told) if (!passportIds.has(id)) problem(`release ${releaseId}: passport ${id} was answered but is not stored`)
  }
  if (passports.length !== ledger.passportsByRelease.size) {
    problem(`${passports.length} passports stored, clients were told about ${ledger.passportsByRelease.size}`)
  }

  // Gate evaluations: every answered one stored once, as answered; any other one belongs to a
  // request that lost an attempt to the killed replica, and at most one per such request.
  const storedEvaluations = new Map(evaluations.map((e) => [e.id, e]))
  for (const [id, op] of ledger.evaluations) {
    const row = storedEvaluations.get(id)
    if (row === undefined) {
      problem(`evaluation ${id} (gate #${op.seq}) was answered but is not stored`)
      continue
    }
    const blockers = (readJson(row.blockers) as Array<{ code: string }>).map((b) => b.code)
    const request = readJson(row.request) as { release: { renderedManifestPath: string } }
    if (
      row.passport_id !== op.answer.passportId || row.environment !== op.environment || row.mode !== op.mode ||
      row.verdict !== op.answer.verdict || (row.allowed === 1) !== op.answer.allowed || (row.would_block === 1) !== op.answer.wouldBlock ||
      !isDeepStrictEqual(blockers, op.answer.blockers.map((b: { code: string }) => b.code)) ||
      request.release.renderedManifestPath !== `rendered/${op.seq}.yaml`
    ) problem(`evaluation ${id} stored otherwise than answered to gate #${op.seq}`)
  }
  const untoldBySeq = new Map<number, number>()
  let untoldEvaluations = 0
  for (const row of evaluations) {
    if (ledger.evaluations.has(row.id)) continue
    untoldEvaluations++
    const request = readJson(row.request) as { release: { renderedManifestPath: string } }
    const seq = Number(/^rendered\/(\d+)\.yaml$/.exec(request.release.renderedManifestPath)?.[1])
    untoldBySeq.set(seq, (untoldBySeq.get(seq) ?? 0) + 1)
    if (!failover || !run.lostGateOps.has(seq)) problem(`evaluation ${row.id} (gate #${seq}) is stored but no client was told about it`)
  }
  for (const [seq, count] of untoldBySeq) if (count > 1) problem(`gate #${seq}: ${count} untold evaluations for one request`)

  // Stamps: per passport and environment, the latest evaluation; none without one.
  const latest = new Map<string, { at: number; ids: Set<string> }>()
  for (const row of evaluations) {
    const key = `${row.passport_id}/${row.environment}`
    const at = time(row.evaluated_at)
    const current = latest.get(key)
    if (current === undefined || at > current.at) latest.set(key, { at, ids: new Set([row.id]) })
    else if (at === current.at) current.ids.add(row.id)
  }
  const stampKeys = new Set<string>()
  for (const stamp of stamps) {
    const key = `${stamp.passport_id}/${stamp.environment}`
    stampKeys.add(key)
    const expected = latest.get(key)
    const evaluation = storedEvaluations.get(stamp.evaluation_id)
    if (expected === undefined || evaluation === undefined) {
      problem(`stamp ${key} names ${stamp.evaluation_id}, which is not an evaluation of it`)
      continue
    }
    if (!expected.ids.has(stamp.evaluation_id) || time(stamp.evaluated_at) !== expected.at) {
      problem(`stamp ${key} is ${stamp.evaluation_id}, not the latest evaluation (${[...expected.ids]})`)
    }
    if (
      evaluation.passport_id !== stamp.passport_id || evaluation.environment !== stamp.environment ||
      evaluation.verdict !== stamp.verdict || evaluation.mode !== stamp.mode ||
      (readJson(evaluation.blockers) as Array<unknown>).length !== stamp.blocker_count
    ) problem(`stamp ${key} disagrees with its evaluation ${stamp.evaluation_id}`)
  }
  for (const key of latest.keys()) if (!stampKeys.has(key)) problem(`no stamp for ${key}, which has evaluations`)

  // Evidence: every version a client was told about, with the content it sent; versions
  // numbered 1..n per item, the highest one the latest.
  const storedEvidence = new Map(evidence.map((row) => [row.id, row]))
  for (const [id, told] of ledger.evidence) {
    const row = storedEvidence.get(id)
    if (row === undefined) {
      problem(`evidence ${id} (${told.item.contentId}) was answered but is not stored`)
      continue
    }
    const details = readJson(row.details)
    if (
      row.passport_id !== told.passportId || row.source !== told.identity.source || row.external_id !== told.identity.externalId ||
      row.type !== told.item.type || row.version !== told.version || row.status !== told.item.status ||
      row.summary !== told.item.summary || !isDeepStrictEqual(details, told.item.details) ||
      row.artifact_digest !== told.identity.release.digest || row.source_sha !== told.identity.release.sourceSha ||
      row.digest_mismatch !== 0 || row.sha_mismatch !== 0
    ) problem(`evidence ${id} stored otherwise than sent (${told.item.contentId} v${told.version})`)
  }
  let untoldEvidence = 0
  const untoldByContent = new Map<string, number>()
  const versions = new Map<string, Array<{ version: number; latest: boolean }>>()
  for (const row of evidence) {
    const key = identityKey(row.source, row.external_id, row.type)
    versions.set(key, [...(versions.get(key) ?? []), { version: row.version, latest: row.is_latest === 1 }])
    if (!passportIds.has(row.passport_id)) problem(`evidence ${row.id} on a passport that is not stored`)
    if (ledger.evidence.has(row.id)) continue
    untoldEvidence++
    const contentId = (readJson(row.details) as { contentId?: string } | null)?.contentId ?? "?"
    untoldByContent.set(contentId, (untoldByContent.get(contentId) ?? 0) + 1)
    if (!failover || !run.lostKeylessContents.has(contentId)) {
      problem(`evidence ${row.id} (${contentId}) is stored but no client was told about it`)
    }
  }
  for (const [contentId, count] of untoldByContent) {
    const allowed = run.lostKeylessContents.get(contentId) ?? 0
    if (count > allowed) problem(`${count} untold versions of ${contentId}, which ${allowed} lost requests carried`)
  }
  for (const [key, list] of versions) {
    const numbers = list.map((v) => v.version).sort((a, b) => a - b)
    const top = numbers.at(-1)!
    const latestOnes = list.filter((v) => v.latest)
    if (!isDeepStrictEqual(numbers, numbers.map((_, i) => i + 1)) || latestOnes.length !== 1 || latestOnes[0]!.version !== top) {
      problem(`${key.replaceAll("\u0000", "/")}: versions ${numbers}, latest ${latestOnes.map((v) => v.version)}`)
    }
  }

  // Nothing half-written: every passport has what made it.
  const made = new Set([...evaluations.map((e) => e.passport_id), ...evidence.map((e) => e.passport_id)])
  for (const id of passportIds) if (!made.has(id)) problem(`passport ${id} has neither an evaluation nor evidence`)

  // Idempotency keys: each stored one holds the answer its clients got, and only keys clients sent.
  const storedKeys = new Map(keys.map((row) => [row.idempotency_key, row]))
  for (const row of keys) {
    const told = ledger.answersByKey.get(row.idempotency_key)
    if (row.response === null) problem(`idempotency key ${row.idempotency_key} is claimed without an answer`)
    else if (told === undefined) problem(`idempotency key ${row.idempotency_key} is stored but no client was answered with it`)
    else if (!isDeepStrictEqual(readJson(row.response), told)) problem(`idempotency key ${row.idempotency_key} holds another answer than its clients got`)
  }
  for (const key of ledger.answersByKey.keys()) if (!storedKeys.has(key)) problem(`idempotency key ${key} was answered but is not stored`)

  // What the console showed came from the database, and from nowhere else.
  for (const id of ledger.seenInReads.passports) if (!passportIds.has(id)) problem(`a read showed passport ${id}, which is not stored`)
  for (const id of ledger.seenInReads.evaluations) if (!storedEvaluations.has(id)) problem(`a read showed evaluation ${id}, which is not stored`)
  for (const id of ledger.seenInReads.evidence) if (!storedEvidence.has(id)) problem(`a read showed evidence ${id}, which is not stored`)

  if (!failover) {
    if (evaluations.length !== ledger.evaluations.size) problem(`${evaluations.length} evaluations stored, ${ledger.evaluations.size} answered`)
    if (evidence.length !== ledger.evidence.size) problem(`${evidence.length} evidence versions stored, ${ledger.evidence.size} answered`)
  }
  return {
    problems,
    accounting: {
      passports: passports.length,
      evaluations: evaluations.length,
      untoldEvaluations,
      evidence: evidence.length,
      untoldEvidence,
      idempotencyKeys: keys.length
    }
  }
}

/** One line per phase, for the note: requests, seconds, req/s, and what the database holds. */
const summary = (name: string, run: PhaseRun, accounting: Accounting, extra = "") => {
  const { ledger } = run
  console.log(
    `[replicas-load] ${name}: ${ledger.httpRequests} requests in ${run.seconds.toFixed(1)} s = ` +
      `${Math.round(ledger.httpRequests / run.seconds)} req/s (${run.operations} operations: ${ledger.ingests.length} ingest, ` +
      `${ledger.gates.length} gate, ${ledger.reads} reads; ${CONCURRENCY} in flight${extra}); stored ` +
      `${accounting.passports} passports, ${accounting.evaluations} evaluations (${accounting.untoldEvaluations} untold), ` +
      `${accounting.evidence} evidence versions (${accounting.untoldEvidence} untold), ${accounting.idempotencyKeys} ` +
      `idempotency keys; seed ${SEED}`
  )
}

describe.skipIf(postgres === undefined || postgres.skip !== undefined)("three replicas on one PostgreSQL under load", () => {
  let testDb: TestDatabase
  const servers: Array<RunningServer> = []
  let direct: SqlDatabase<Tables>
  let session: Session
  const workspaces = {} as Record<"steady" | "failover", { id: string; token: string }>

  beforeAll(async () => {
    testDb = await postgres!.create()
    const run = (args: Array<string>, input?: string) => cliOk([...args, "--database", testDb.url], input)
    await run(["migrate"])
    await Promise.all((["steady", "failover"] as const).map((slug) => run(["workspace", "create", "--slug", slug, "--name", slug])))
    await run(["user", "create", "--email", "reader@example.com", "--workspace", "steady", "--role", "viewer"], `${PASSWORD}\n`)
    const [, steadyToken, failoverToken, started] = await Promise.all([
      run(["user", "add", "--email", "reader@example.com", "--workspace", "failover", "--role", "viewer"]),
      createToken(testDb.url, "--workspace", "steady", "--scope", "gate:evaluate", "--scope", "evidence:ingest", "--name", "load"),
      createToken(testDb.url, "--workspace", "failover", "--scope", "gate:evaluate", "--scope", "evidence:ingest", "--name", "load"),
      Promise.all(Array.from({ length: 3 }, () => startServer({ database: testDb.url })))
    ])
    servers.push(...started)
    direct = await openDatabase(testDb.url)
    const ids = await direct.db.selectFrom("workspaces").select(["id", "slug"]).execute()
    const idOf = (slug: string) => ids.find((w) => w.slug === slug)!.id
    workspaces.steady = { id: idOf("steady"), token: steadyToken.value }
    workspaces.failover = { id: idOf("failover"), token: failoverToken.value }
    // Signed in on one replica, used on all three: sessions live in the database.
    session = await signIn(servers[0]!.url, "reader@example.com", PASSWORD)
  }, 90_000)

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()))
    await direct?.close()
    await testDb?.drop()
  })

  const expectAlive = (server: RunningServer) =>
    expect(server.process.exitCode ?? server.process.signalCode, `a replica exited:\n${server.output().slice(-3000)}`).toBeNull()

  it(`${STEADY.operations} mixed requests over three replicas: the database holds exactly what the clients were told`, async () => {
    const run = await runPhase({
      name: "steady",
      workspace: "steady",
      token: workspaces.steady.token,
      session,
      servers,
      ...STEADY
    }, SEED)
    const { problems, accounting } = await checkDatabase(direct, workspaces.steady.id, run, false)
    summary("steady, 3 replicas", run, accounting, `, ${run.ledger.staleConnections} idle keep-alive connections retried`)
    for (const server of servers) expectAlive(server)
    expect(run.ledger.problems, `${run.ledger.problemTotal} problems in the answers`).toEqual([])
    expect(problems, "the database against the ledger").toEqual([])
    expect(run.operations, `operations done within ${STEADY.limitMs / 1000} s`).toBe(STEADY.operations)
    expect(run.ledger.httpRequests).toBeGreaterThanOrEqual(STEADY.operations)
    // The mix held every kind of answer it is about.
    const outcomes = new Set(run.ledger.ingests.flatMap((op) => op.answer.items.map((i: { outcome: string }) => i.outcome)))
    expect([...outcomes].sort()).toEqual(["created", "unchanged", "updated"])
    const verdicts = new Set(run.ledger.gates.map((op) => op.answer.verdict))
    expect(verdicts).toContain("pass")
    expect(verdicts).toContain("fail")
    expect(run.ledger.ingests.filter((op) => op.key !== undefined && run.ledger.ingests.some((other) => other !== op && other.key === op.key)))
      .not.toHaveLength(0)
    expect(accounting.evaluations).toBe(run.ledger.gates.length)
  }, STEADY.limitMs + 45_000)

  it("the same with one replica killed (SIGKILL) in the middle: clients move on, nothing lost, duplicated or half-written", async () => {
    const victim = 2
    const killed = new Promise<NodeJS.Signals | null>((resolve) => servers[victim]!.process.once("exit", (_code, signal) => resolve(signal)))
    const run = await runPhase({
      name: "failover",
      workspace: "failover",
      token: workspaces.failover.token,
      session,
      servers,
      ...FAILOVER,
      kill: { replica: victim, afterOperations: Math.floor(FAILOVER.operations * 0.4) }
    }, SEED + 1)
    expect(await killed).toBe("SIGKILL")
    const { problems, accounting } = await checkDatabase(direct, workspaces.failover.id, run, true)
    summary(
      "failover, 1 of 3 replicas killed at 40%",
      run,
      accounting,
      `, ${run.inFlightAtKill} in flight to the killed one, ${run.ledger.lostAttempts} attempts lost and retried: ` +
        `${run.lostGateOps.size} gate`
    )
    for (const [i, server] of servers.entries()) if (i !== victim) expectAlive(server)
    expect(run.ledger.problems, `${run.ledger.problemTotal} problems in the answers`).toEqual([])
    expect(problems, "the database against the ledger").toEqual([])
    expect(run.operations, `operations done within ${FAILOVER.limitMs / 1000} s`).toBe(FAILOVER.operations)
    // The kill did hit requests on their way: otherwise this proved nothing about failover.
    expect(run.ledger.lostAttempts - run.ledger.staleConnections).toBeGreaterThan(0)
    expect(accounting.untoldEvaluations).toBeLessThanOrEqual(run.lostGateOps.size)
    expect(accounting.evaluations - accounting.untoldEvaluations).toBe(run.ledger.gates.length)
  }, FAILOVER.limitMs + 45_000)
})
