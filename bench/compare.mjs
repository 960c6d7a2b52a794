// npm run bench:compare: the gate next to what a platform team would compare it with, in one run,
// on loopback, on free ports (issue 15):
//   A  bare node:http answering a fixed gate verdict (the HTTP floor of this machine)
//   B  OPA's own server on policies/src, bare decision (POST /v1/data/releasepassport/gate/decision)
//   C  the gate (built server) on SQLite
//   D  the gate on PostgreSQL (skipped, with a line saying so, when none is reachable)
//   E  bench/reference-server.mjs: node:http + node:sqlite + opa-wasm doing the same essential work
// Every target that stores gets the same 10 evidence items for the release first; every target
// then gets the documented gate request (with a valid digest) from 10 connections; OPA gets the
// input document the gate builds for that request. Rounds alternate (A B C D E, A B C D E, ...)
// so drift on a shared machine lands on every target alike, and the medians are reported.
// After each run one more request checks that every policy path gave the same decision.
//
// CPU per request is read from /proc (the target's own clock ticks over the run, not ours):
// "main" is the target's main thread (/proc/<pid>/task/<pid>/stat; for Node the event loop,
// excluding the gate's policy worker threads), "all" is the whole process. For OPA (Go) only
// "all" means anything. RSS is VmRSS of the gate processes after warm-up and at the end.
//
// Environment (all bounded): BENCH_DURATION_S per target per round (default 3, at most 15),
// BENCH_ROUNDS (default 3, at most 10), BENCH_WARMUP_S once per target before round 1
// (default 2, at most 15), BENCH_CONNECTIONS (default 10); BENCH_POSTGRES_UNNAMED=1 adds the
// PostgreSQL gate with unnamed statements (--postgres-statements unnamed) as one more target,
// to measure what prepared statements buy. PostgreSQL as in the other benches:
// RELEASEPASSPORT_BENCH_POSTGRES_URL, else RELEASEPASSPORT_TEST_POSTGRES_URL, else
// postgres://postgres@127.0.0.1:5432/test (a fresh schema, dropped at the end).
import { execFileSync, spawn } from "node:child_process"
import { createHash, randomBytes } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import path from "node:path"
import { DIGEST, gateRequest } from "./gate-request.mjs"
import {
  BIN,
  cli,
  expectAllOk,
  load,
  machineLine,
  POSTGRES_URL,
  postgresSchema,
  redact,
  REPO,
  runBench
} from "../packages/server/bench/support.mjs"

const bounded = (name, fallback, max) => {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isFinite(value) || value <= 0 || value > max) throw new Error(`${name} must be a number in (0, ${max}], got ${process.env[name]}`)
  return value
}
const DURATION_S = bounded("BENCH_DURATION_S", 3, 15)
const ROUNDS = Math.floor(bounded("BENCH_ROUNDS", 3, 10))
const WARMUP_S = bounded("BENCH_WARMUP_S", 2, 15)
const CONNECTIONS = Math.floor(bounded("BENCH_CONNECTIONS", 10, 200))
const UNNAMED = process.env.BENCH_POSTGRES_UNNAMED === "1"
const GATE_PATH = "/releasepassport/v1/gate/evaluate"
const INGEST_PATH = "/releasepassport/v1/evidence/ingest"
const OPA_PATH = "/v1/data/releasepassport/gate/decision"
const START_TIMEOUT_MS = 30_000

const EVIDENCE_TYPES = ["smoke", "unit", "integration", "e2e", "sast", "sca", "dast", "sbom", "license", "lint"]
const seededAt = new Date(Date.now() - 60_000).toISOString()
const ingestBody = {
  source: "github_actions",
  externalId: "bench-seed",
  service: { name: gateRequest.service.name, namespace: gateRequest.service.namespace },
  release: { releaseId: gateRequest.release.releaseId, sourceSha: gateRequest.release.sourceSha },
  artifact: { digest: DIGEST },
  evidence: EVIDENCE_TYPES.map((type) => ({ type, status: "passed", summary: `${type} passed`, observedAt: seededAt }))
}
// What the gate hands its policy for that request once the evidence is stored (the shape of
// packages/core/src/PolicyInput.ts): OPA gets this document, so it decides the same thing.
const opaInput = {
  request: gateRequest,
  passport: {
    id: "pp_bench",
    releaseId: gateRequest.release.releaseId,
    artifactDigest: DIGEST,
    sourceSha: gateRequest.release.sourceSha,
    service: ingestBody.service
  },
  evidence: EVIDENCE_TYPES.map((type, i) => ({
    id: `evd_bench_${i}`,
    source: ingestBody.source,
    type,
    status: "passed",
    summary: `${type} passed`,
    artifactDigest: DIGEST,
    sourceSha: gateRequest.release.sourceSha,
    observedAt: seededAt,
    receivedAt: seededAt,
    ageSeconds: 60
  })).sort((a, b) => (a.type < b.type ? -1 : 1)),
  connectors: [{ source: ingestBody.source, freshness: "fresh", environments: [] }],
  now: new Date().toISOString()
}

// --- processes: each target in its own process, so we can read its CPU and memory ---

const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })

/** Starts a process; resolves with its pid once its stdout matches `pattern` (the base URL) or `pollUrl`/health answers. */
const startProcess = (label, command, args, { pattern, pollUrl } = {}) =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    let done = false
    const stop = () =>
      new Promise((finished) => {
        if (child.exitCode !== null || child.signalCode !== null) return finished()
        const kill = setTimeout(() => child.kill("SIGKILL"), 5_000)
        child.once("exit", () => {
          clearTimeout(kill)
          finished()
        })
        child.kill("SIGTERM")
      })
    const fail = (message) => {
      if (done) return
      done = true
      clearTimeout(timer)
      child.kill("SIGKILL")
      reject(new Error(`${label}: ${message}\n${output.slice(-2000)}`))
    }
    const succeed = (url) => {
      if (done) return
      done = true
      clearTimeout(timer)
      resolve({ label, url, pid: child.pid, stop })
    }
    const timer = setTimeout(() => fail(`did not start in ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS)
    child.stdout.on("data", (chunk) => {
      output += chunk
      const match = pattern?.exec(output)
      if (match) succeed(match[1])
    })
    child.stderr.on("data", (chunk) => (output += chunk))
    child.once("exit", (code) => fail(`exited with ${code} before it served`))
    if (pollUrl !== undefined) {
      const poll = async (attempt) => {
        if (done || attempt > 300) return
        const ok = await fetch(`${pollUrl}/health`).then((r) => r.ok, () => false)
        if (ok) succeed(pollUrl)
        else setTimeout(() => poll(attempt + 1), 100)
      }
      poll(0)
    }
  })

const node = (script, args) => [process.execPath, ["--disable-warning=ExperimentalWarning", script, ...args]]

const startBare = (body) => {
  const source = `import { createServer } from "node:http"
const body = Buffer.from(${JSON.stringify(body)})
const server = createServer((request, response) => {
  request.resume()
  request.on("end", () => {
    response.writeHead(200, { "content-type": "application/json", "content-length": body.length })
    response.end(body)
  })
})
server.listen(0, "127.0.0.1", () => console.log("bare listening on http://127.0.0.1:" + server.address().port))
process.on("SIGTERM", () => { server.close(() => process.exit(0)); server.closeAllConnections() })`
  return startProcess("bare node:http", process.execPath, ["--input-type=module", "-e", source], { pattern: /listening on (http:\/\/\S+)/ })
}

const startGate = async (label, database, extra = []) => {
  await cli(["migrate", "--database", database])
  const token = await cli(["token", "create", "--database", database, "--scope", "gate:evaluate", "--scope", "evidence:ingest", "--name", "bench"])
  const [command, args] = node(BIN, ["serve", "--port", "0", "--database", database, ...extra])
  return { ...(await startProcess(label, command, args, { pattern: /listening on (http:\/\/\S+)/ })), token }
}

const startReference = async (dir) => {
  // A token in the gate's format is not needed: only its digest is stored, as in the gate.
  const token = `rp_${randomBytes(32).toString("base64url")}`
  const digest = createHash("sha256").update(token).digest("hex")
  const [command, args] = node(path.join(REPO, "bench/reference-server.mjs"), [
    "--database", path.join(dir, "reference.db"), "--token-digest", digest
  ])
  return { ...(await startProcess("reference", command, args, { pattern: /listening on (http:\/\/\S+)/ })), token }
}

const startOpa = async () => {
  // scripts/opa.sh pins the version (and installs it on first use); it execs opa, so the pid is opa's.
  try {
    execFileSync("bash", ["scripts/opa.sh", "version"], { cwd: REPO, stdio: "ignore", timeout: 600_000 })
  } catch (error) {
    return { skipped: `scripts/opa.sh does not run (${error instanceof Error ? error.message.split("\n")[0] : error})` }
  }
  const port = await freePort()
  // --log-level error: at info OPA logs every request, which would be measured as OPA's cost.
  return startProcess("OPA server", "bash", [
    "scripts/opa.sh", "run", "--server", "--addr", `127.0.0.1:${port}`, "--log-level", "error", "policies/src"
  ], { pollUrl: `http://127.0.0.1:${port}` })
}

// --- /proc readings ---

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100
  } catch {
    return 100
  }
})()
/** utime + stime in ms from a /proc stat line (fields after the parenthesised command name). */
const cpuMsOf = (file) => {
  const text = readFileSync(file, "utf8")
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ")
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
}
const cpu = (pid) => ({ main: cpuMsOf(`/proc/${pid}/task/${pid}/stat`), all: cpuMsOf(`/proc/${pid}/stat`) })
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) / 1024

// --- targets: how to ask each one, and how to read its decision ---

const codes = (findings) => findings.map((f) => f.code).sort()
const fromVerdict = (body) => ({ verdict: body.verdict, blockers: codes(body.blockers), warnings: codes(body.warnings) })
const fromOpa = (body) => {
  const { deny, warn } = body.result ?? { deny: [], warn: [] }
  if (body.result === undefined) return { verdict: "error", blockers: ["undefined decision"], warnings: [] }
  return { verdict: deny.length > 0 ? "fail" : warn.length > 0 ? "warn" : "pass", blockers: codes(deny), warnings: codes(warn) }
}

const gateTarget = (server, label) => ({
  ...server,
  label,
  path: GATE_PATH,
  headers: { "content-type": "application/json", authorization: `Bearer ${server.token}` },
  body: JSON.stringify(gateRequest),
  decision: fromVerdict
})

const ask = async (target) => {
  const response = await fetch(`${target.url}${target.path}`, { method: "POST", headers: target.headers, body: target.body })
  const text = await response.text()
  if (response.status !== 200) throw new Error(`${target.label}: ${response.status} ${text.slice(0, 500)}`)
  return JSON.parse(text)
}

const seed = async (target) => {
  const response = await fetch(`${target.url}${INGEST_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${target.token}` },
    body: JSON.stringify(ingestBody)
  })
  if (response.status !== 200) throw new Error(`${target.label}: seeding evidence failed: ${response.status} ${(await response.text()).slice(0, 500)}`)
}

const run = (target, durationS) =>
  load({ url: `${target.url}${target.path}`, method: "POST", headers: target.headers, body: () => target.body, connections: CONNECTIONS, durationS })

const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return NaN
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}
const fixed = (value, digits, width) => (Number.isFinite(value) ? value.toFixed(digits) : "-").padStart(width)

await runBench(async (cleanup) => {
  console.log(`${machineLine()}`)
  console.log(
    `${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${DURATION_S} s per target after ${WARMUP_S} s warm-up, loopback; ` +
      `request: the documented gate request (shadow, production) with a valid digest, 10 evidence items stored`
  )
  const dir = mkdtempSync(path.join(tmpdir(), "releasepassport-compare-"))
  cleanup(async () => rmSync(dir, { recursive: true, force: true }))

  const targets = []
  const skipped = []

  const sqlite = await startGate("gate, SQLite", `sqlite:${path.join(dir, "gate.db")}`)
  cleanup(sqlite.stop)
  await seed(sqlite)
  // The bare server answers a real verdict of the gate, byte for byte.
  const verdictBody = JSON.stringify(await ask(gateTarget(sqlite, "gate, SQLite")))
  const bare = await startBare(verdictBody)
  cleanup(bare.stop)
  targets.push({ ...bare, path: "/", headers: { "content-type": "application/json" }, body: JSON.stringify(gateRequest), decision: undefined })

  const opa = await startOpa()
  if ("skipped" in opa) skipped.push(`OPA server: SKIPPED, ${opa.skipped}`)
  else {
    cleanup(opa.stop)
    targets.push({
      ...opa,
      path: OPA_PATH,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: opaInput }),
      decision: fromOpa,
      goMain: true
    })
  }

  targets.push({ ...gateTarget(sqlite, "gate, SQLite"), gate: true })

  const schema = await postgresSchema()
  if ("skipped" in schema) {
    skipped.push(`gate, PostgreSQL: SKIPPED, ${redact(POSTGRES_URL)} is unreachable (${schema.skipped})`)
  } else {
    cleanup(schema.drop)
    const postgres = await startGate("gate, PostgreSQL", schema.url)
    cleanup(postgres.stop)
    await seed(postgres)
    targets.push({ ...gateTarget(postgres, "gate, PostgreSQL"), gate: true })
    if (UNNAMED) {
      // The same gate with --postgres-statements unnamed, on a schema of its own: what named
      // prepared statements buy, measured in the same rounds.
      const unnamedSchema = await postgresSchema()
      cleanup(unnamedSchema.drop)
      const unnamed = await startGate("gate, PostgreSQL unnamed", unnamedSchema.url, ["--postgres-statements", "unnamed"])
      cleanup(unnamed.stop)
      await seed(unnamed)
      targets.push({ ...gateTarget(unnamed, "gate, PostgreSQL unnamed"), gate: true })
    }
  }

  const reference = await startReference(dir)
  cleanup(reference.stop)
  await seed(reference)
  targets.push(gateTarget(reference, "reference (http+sqlite+wasm)"))

  // Same bundle everywhere: the gate and the reference load policies/bundle, OPA its sources.
  const revisions = new Set([JSON.parse(verdictBody).policy.revision, (await ask(gateTarget(reference, "reference"))).policy.revision])
  if (revisions.size !== 1) throw new Error(`the gate and the reference loaded different bundles: ${[...revisions].join(", ")}`)
  console.log(`policy bundle ${[...revisions][0]} (gate, reference); OPA server on policies/src`)
  for (const line of skipped) console.log(line)
  console.log()

  const results = new Map(targets.map((t) => [t.label, { rounds: [], decisions: [], rss: {} }]))
  for (let round = 1; round <= ROUNDS; round++) {
    for (const target of targets) {
      const result = results.get(target.label)
      if (round === 1) {
        await run(target, WARMUP_S)
        result.rss.warm = rssMb(target.pid)
      }
      const before = cpu(target.pid)
      const measured = expectAllOk(`${target.label}, round ${round}`, await run(target, DURATION_S))
      const after = cpu(target.pid)
      const perRequest = { main: (after.main - before.main) / measured.requests, all: (after.all - before.all) / measured.requests }
      result.rounds.push({ ...measured, cpu: perRequest })
      if (target.decision !== undefined) result.decisions.push(target.decision(await ask(target)))
      console.log(
        `round ${round} ${target.label.padEnd(30)} ${fixed(measured.perSecond, 0, 7)} req/s  p50 ${fixed(measured.p50, 2, 6)} ms  ` +
          `p99 ${fixed(measured.p99, 2, 6)} ms  CPU/req main ${target.goMain ? "     -" : fixed(perRequest.main, 3, 6)} ms, ` +
          `all ${fixed(perRequest.all, 3, 6)} ms  (${measured.requests} requests)`
      )
    }
  }
  for (const target of targets) results.get(target.label).rss.end = rssMb(target.pid)

  const summary = new Map(targets.map((t) => {
    const { rounds } = results.get(t.label)
    return [t.label, {
      perSecond: median(rounds.map((r) => r.perSecond)),
      p50: median(rounds.map((r) => r.p50)),
      p99: median(rounds.map((r) => r.p99)),
      cpuMain: t.goMain ? NaN : median(rounds.map((r) => r.cpu.main)),
      cpuAll: median(rounds.map((r) => r.cpu.all))
    }]
  }))

  console.log(`\nmedians of ${ROUNDS} rounds; CPU per request from /proc, main = main thread (event loop), all = every thread\n`)
  console.log(`${"target".padEnd(30)} ${"req/s".padStart(8)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"CPU/req main".padStart(13)} ${"CPU/req all".padStart(12)}`)
  for (const [label, s] of summary) {
    console.log(
      `${label.padEnd(30)} ${fixed(s.perSecond, 0, 8)} ${fixed(s.p50, 2, 8)} ${fixed(s.p99, 2, 8)} ${fixed(s.cpuMain, 3, 10)} ms ${fixed(s.cpuAll, 3, 9)} ms`
    )
  }

  // The ratios issue 15 sets goals for (a ratio whose target was skipped is left out).
  const ratio = (name, a, b, field, goal, better) => {
    const x = summary.get(a)?.[field]
    const y = summary.get(b)?.[field]
    if (x === undefined || y === undefined) return
    const value = x / y
    const met = better === "higher" ? value >= goal : value <= goal
    console.log(`${name.padEnd(44)} ${fixed(value, 2, 6)}x   goal ${better === "higher" ? ">=" : "<="} ${goal}x: ${met ? "met" : "not met"}`)
  }
  const OPA = "OPA server"
  const REF = "reference (http+sqlite+wasm)"
  console.log("\nratios")
  ratio("gate SQLite req/s vs OPA", "gate, SQLite", OPA, "perSecond", 1.0, "higher")
  ratio("gate SQLite p99 vs OPA", "gate, SQLite", OPA, "p99", 1.0, "lower")
  ratio("gate SQLite req/s vs reference", "gate, SQLite", REF, "perSecond", 0.8, "higher")
  ratio("gate PostgreSQL req/s vs OPA", "gate, PostgreSQL", OPA, "perSecond", 0.5, "higher")
  ratio("gate PostgreSQL p99 vs OPA", "gate, PostgreSQL", OPA, "p99", 3.0, "lower")

  console.log("\nmemory (VmRSS)")
  for (const target of targets.filter((t) => t.gate || t.label === REF)) {
    const { warm, end } = results.get(target.label).rss
    const requests = results.get(target.label).rounds.reduce((n, r) => n + r.requests, 0)
    console.log(
      `${target.label.padEnd(30)} after warm-up ${fixed(warm, 1, 7)} MB, at the end ${fixed(end, 1, 7)} MB ` +
        `(${fixed(((end - warm) / warm) * 100, 1, 5)}% over ${requests} measured requests)`
    )
  }

  // Every policy path must decide the same for the same request, in every round.
  const decisions = targets.filter((t) => t.decision !== undefined).flatMap((t) =>
    results.get(t.label).decisions.map((d, i) => ({ label: t.label, round: i + 1, key: JSON.stringify(d) }))
  )
  const distinct = new Set(decisions.map((d) => d.key))
  if (distinct.size !== 1) {
    for (const d of decisions) console.log(`  ${d.label}, round ${d.round}: ${d.key}`)
    throw new Error("the policy paths did not give the same decision for the same request")
  }
  console.log(`\ndecision: every policy path, every round: ${[...distinct][0]}`)
})
