// npm run bench:memory: does the gate's memory stay flat? (issue 15: RSS after warm-up within
// 10% over 100 000 gate requests). Starts the BUILT gate on a fresh SQLite database, sends the
// documented gate request (valid digest) from 10 connections in chunks, and prints VmRSS of the
// server after each chunk. V8 grows its heap for the first tens of thousands of requests, so the
// warm-up is counted in requests, not seconds; the verdict compares the end with the RSS right
// after the warm-up. Bounded: BENCH_WARMUP_REQUESTS (default 30 000), BENCH_REQUESTS after it
// (default 100 000), BENCH_MAX_S in all (default 240); loopback only. BENCH_DATABASE=postgres
// runs it on PostgreSQL instead (a fresh schema, as the other benches; the gate is slower
// there, so give it BENCH_MAX_S=420 for a verdict).
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { cli, load, machineLine, postgresSchema, redact, startServer } from "../packages/server/bench/support.mjs"
import { gateRequest } from "./gate-request.mjs"

const WARMUP = Number(process.env.BENCH_WARMUP_REQUESTS ?? 30_000)
const MEASURED = Number(process.env.BENCH_REQUESTS ?? 100_000)
const MAX_S = Number(process.env.BENCH_MAX_S ?? 240)
const CHUNK_S = 8

const body = JSON.stringify(gateRequest)

const dir = mkdtempSync(path.join(tmpdir(), "releasepassport-bench-memory-"))
let server
let schema
try {
  let database = `sqlite:${path.join(dir, "rp.db")}`
  if (process.env.BENCH_DATABASE === "postgres") {
    schema = await postgresSchema()
    if ("skipped" in schema) throw new Error(`PostgreSQL is unreachable: ${schema.skipped}`)
    database = schema.url
  }
  console.log(`database: ${redact(database)}`)
  console.log(`${machineLine()}; 10 connections, warm-up ${WARMUP} requests, then ${MEASURED}, at most ${MAX_S} s`)
  await cli(["migrate", "--database", database])
  const token = await cli(["token", "create", "--database", database, "--scope", "gate:evaluate", "--name", "bench"])
  server = await startServer(database)
  const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, "utf8"))?.[1] ?? NaN) / 1024
  const started = Date.now()
  let sent = 0
  let afterWarmup
  while ((afterWarmup === undefined || sent - afterWarmup.sent < MEASURED) && (Date.now() - started) / 1000 < MAX_S) {
    const chunk = await load({
      url: `${server.url}/releasepassport/v1/gate/evaluate`,
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: () => body,
      connections: 10,
      durationS: CHUNK_S
    })
    const failed = Object.entries(chunk.statuses).filter(([status]) => !status.startsWith("2"))
    if (failed.length > 0 || chunk.errors > 0) throw new Error(`gate answered ${JSON.stringify(chunk.statuses)}, ${chunk.errors} errors`)
    sent += chunk.requests
    const rss = rssMb()
    if (afterWarmup === undefined && sent >= WARMUP) afterWarmup = { sent, rss }
    console.log(`  ${String(sent).padStart(7)} requests  RSS ${rss.toFixed(1).padStart(6)} MB  ${chunk.perSecond.toFixed(0).padStart(5)} req/s${afterWarmup?.sent === sent ? "  <- after warm-up" : ""}`)
  }
  if (afterWarmup === undefined) {
    console.log(`warm-up not reached in ${MAX_S} s: no verdict`)
  } else {
    const end = rssMb()
    const change = (end / afterWarmup.rss - 1) * 100
    const measured = sent - afterWarmup.sent
    console.log(
      `RSS after warm-up ${afterWarmup.rss.toFixed(1)} MB, at the end ${end.toFixed(1)} MB (${change >= 0 ? "+" : ""}${change.toFixed(1)}% over ${measured} requests); ` +
        `goal within 10% over 100000: ${measured < 100_000 ? "too few requests for a verdict" : Math.abs(change) <= 10 ? "met" : "not met"}`
    )
  }
} finally {
  await server?.stop()
  if (schema !== undefined && !("skipped" in schema)) await schema.drop()
  rmSync(dir, { recursive: true, force: true })
}
