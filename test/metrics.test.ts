import { Effect } from "effect"
import net from "node:net"
import parsePrometheus from "parse-prometheus-text-format"
import type { ParsedFamily } from "parse-prometheus-text-format"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, apiClient, createToken, passingGateRequest, startServer } from "@releasepassport/testing"
import type { RunningServer, TestDatabase } from "@releasepassport/testing"

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = net.createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const port = (probe.address() as net.AddressInfo).port
      probe.close(() => resolve(port))
    })
  })

/** A scrape, parsed by a real Prometheus text-format parser (it throws on malformed text). */
const scrapeText = async (url: string, token?: string) => {
  const response = await fetch(url, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } })
  expect(response.status, await response.clone().text()).toBe(200)
  expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8")
  const text = await response.text()
  return { text, families: parsePrometheus(text) }
}
const scrape = async (url: string, token?: string) => (await scrapeText(url, token)).families

/**
 * The parser keeps a histogram's count only when it has no labels, so a labelled histogram's
 * `_count` sample is read from the (already parsed, hence well-formed) text.
 */
const histogramCount = (text: string, name: string, labels: string) =>
  Number(new RegExp(`^${name}_count\\{${labels.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\\} (\\S+)$`, "m").exec(text)?.[1] ?? 0)

const family = (families: ReadonlyArray<ParsedFamily>, name: string) => {
  const found = families.find((f) => f.name === name)
  expect(found, `${name} in the scrape`).toBeDefined()
  return found!
}

/** The value of one sample whose labels include `labels`; 0 when no such sample (not counted yet). */
const valueOf = (families: ReadonlyArray<ParsedFamily>, name: string, labels: Record<string, string> = {}) => {
  const sample = family(families, name).metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
  return Number(sample?.value ?? sample?.count ?? 0)
}

for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`/metrics (${choice.adapter})`, () => {
    let testDb: TestDatabase
    let server: RunningServer
    let pipelineToken: string
    let metricsToken: string
    let listenerPort: number

    beforeAll(async () => {
      testDb = await choice.create()
      pipelineToken = (await createToken(testDb.url, "--scope", "gate:evaluate", "--scope", "evidence:ingest", "--name", "ci")).value
      metricsToken = (await createToken(testDb.url, "--scope", "metrics:read", "--name", "prometheus")).value
      listenerPort = await freePort()
      server = await startServer({ database: testDb.url, args: ["--metrics-listener", String(listenerPort)] })
    }, 60_000)
    afterAll(async () => {
      await server?.stop()
      await testDb?.drop()
    })

    const apiMetrics = () => `${server.url}/releasepassport/v1/metrics`

    it("counts a gate request it was sent: decision by verdict, mode and environment, evaluation time, HTTP route and status", async () => {
      const { text: beforeText, families: before } = await scrapeText(apiMetrics(), metricsToken)
      const client = await apiClient(server.url, pipelineToken)
      const request = passingGateRequest({ service: { name: "metrics-api", namespace: "apps-metrics", environment: "staging" } })
      const answer = await Effect.runPromise(client.gate.evaluate({ payload: request, headers: {} }))
      expect(answer.verdict).toBe("pass")
      const { text: afterText, families: after } = await scrapeText(apiMetrics(), metricsToken)

      const decision = { verdict: "pass", mode: "enforce", environment: "staging" }
      expect(valueOf(after, "releasepassport_gate_decisions_total", decision))
        .toBe(valueOf(before, "releasepassport_gate_decisions_total", decision) + 1)
      expect(family(after, "releasepassport_gate_evaluation_seconds").type).toBe("HISTOGRAM")
      expect(valueOf(after, "releasepassport_gate_evaluation_seconds")).toBe(valueOf(before, "releasepassport_gate_evaluation_seconds") + 1)
      const route = { method: "POST", route: "/releasepassport/v1/gate/evaluate", status: "200" }
      expect(valueOf(after, "releasepassport_http_requests_total", route)).toBe(valueOf(before, "releasepassport_http_requests_total", route) + 1)
      expect(family(after, "releasepassport_http_request_duration_seconds").type).toBe("HISTOGRAM")
      const latency = `method="POST",route="/releasepassport/v1/gate/evaluate"`
      expect(histogramCount(afterText, "releasepassport_http_request_duration_seconds", latency))
        .toBe(histogramCount(beforeText, "releasepassport_http_request_duration_seconds", latency) + 1)
      // The scrape itself is a request too, by its route template.
      expect(valueOf(after, "releasepassport_http_requests_total", { route: "/releasepassport/v1/metrics", status: "200" })).toBeGreaterThanOrEqual(1)
    })

    it("counts evidence items by outcome and redactions; a replayed Idempotency-Key counts once", async () => {
      const before = await scrape(apiMetrics(), metricsToken)
      const client = await apiClient(server.url, pipelineToken)
      const gate = passingGateRequest()
      const batch = {
        source: "github_actions",
        externalId: `run-metrics-${Date.now()}`,
        service: { name: gate.service.name, namespace: gate.service.namespace },
        release: { releaseId: gate.release.releaseId, sourceSha: gate.release.sourceSha },
        artifact: { digest: gate.artifact.digest },
        evidence: [
          { type: "tests", status: "passed" as const, summary: "all green" },
          { type: "scan", status: "passed" as const, summary: `leaked ghp_${"a1B2".repeat(9)} in a log` }
        ]
      }
      for (let i = 0; i < 2; i++) {
        await Effect.runPromise(client.evidence.ingest({ payload: batch, headers: { "idempotency-key": "metrics-key-1" } }))
      }
      const after = await scrape(apiMetrics(), metricsToken)
      expect(valueOf(after, "releasepassport_evidence_items_total", { outcome: "created" }))
        .toBe(valueOf(before, "releasepassport_evidence_items_total", { outcome: "created" }) + 2)
      expect(valueOf(after, "releasepassport_redactions_total")).toBeGreaterThanOrEqual(valueOf(before, "releasepassport_redactions_total") + 1)
    })

    it("state gauges: license status, connector freshness, the database pool where there is one", async () => {
      const families = await scrape(apiMetrics(), metricsToken)
      expect(valueOf(families, "releasepassport_license_status", { status: "community" })).toBe(1)
      // The evidence above came from github_actions: its connector was just seen.
      expect(valueOf(families, "releasepassport_connector_freshness", { source: "github_actions", freshness: "fresh" })).toBe(1)
      const pool = family(families, "releasepassport_db_pool_connections")
      if (choice.adapter === "postgres") {
        expect(valueOf(families, "releasepassport_db_pool_connections", { state: "max" })).toBeGreaterThan(0)
        expect(valueOf(families, "releasepassport_db_pool_connections", { state: "open" })).toBeGreaterThan(0)
      } else {
        expect(pool.metrics).toEqual([])
      }
      expect(valueOf(families, "releasepassport_process_resident_memory_bytes")).toBeGreaterThan(0)
    })

    it("never public by accident: the API route needs a metrics:read token", async () => {
      expect((await fetch(apiMetrics())).status).toBe(401)
      const refused = await fetch(apiMetrics(), { headers: { authorization: `Bearer ${pipelineToken}` } })
      expect(refused.status).toBe(403)
      expect((await refused.json()).code).toBe("auth.scope_missing")
    })

    it("the internal listener serves the same metrics without a token, and nothing else", async () => {
      const families = await scrape(`http://127.0.0.1:${listenerPort}/metrics`)
      expect(valueOf(families, "releasepassport_gate_decisions_total", { verdict: "pass", mode: "enforce", environment: "staging" }))
        .toBeGreaterThanOrEqual(1)
      expect((await fetch(`http://127.0.0.1:${listenerPort}/releasepassport/v1/gate/evaluate`)).status).toBe(404)
      expect(server.output()).toContain(`metrics (internal, no authentication) at http://127.0.0.1:${listenerPort}/metrics`)
    })
  })
}
