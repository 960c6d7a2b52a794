import { createServer } from "node:http"
import type { Server } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, createToken, passingGateRequest, rawPost, startServer } from "@releasepassport/testing"
import type { TestDatabase } from "@releasepassport/testing"

/**
 * OTEL_EXPORTER_OTLP_ENDPOINT: the built server exports its spans over OTLP/HTTP to a collector
 * (here a node:http server on loopback that decodes what arrives), and nothing secret goes with them.
 */

interface AnyValue {
  readonly stringValue?: string
  readonly intValue?: string | number
  readonly boolValue?: boolean
}
interface KeyValue {
  readonly key: string
  readonly value: AnyValue
}
interface OtlpSpan {
  readonly traceId: string
  readonly spanId: string
  readonly parentSpanId?: string
  readonly name: string
  readonly kind: number
  readonly attributes: ReadonlyArray<KeyValue>
}
interface TraceRequest {
  readonly resourceSpans: ReadonlyArray<{
    readonly resource: { readonly attributes: ReadonlyArray<KeyValue> }
    readonly scopeSpans: ReadonlyArray<{ readonly spans: ReadonlyArray<OtlpSpan> }>
  }>
}

/** A tiny OTLP/HTTP collector: `POST /v1/traces` with OTLP/JSON, every raw body and header kept. */
const startCollector = async () => {
  const bodies: Array<string> = []
  const headers: Array<Record<string, string | Array<string> | undefined>> = []
  let connections = 0
  const server: Server = createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      headers.push(request.headers)
      bodies.push(Buffer.concat(chunks).toString("utf8"))
      const ok = request.method === "POST" && request.url === "/v1/traces" && request.headers["content-type"] === "application/json"
      response.writeHead(ok ? 200 : 404, { "content-type": "application/json" }).end("{}")
    })
  })
  server.on("connection", () => connections++)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    headers,
    connections: () => connections,
    requests: () => bodies.map((body) => JSON.parse(body) as TraceRequest),
    close: () => new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

const spansOf = (requests: ReadonlyArray<TraceRequest>) =>
  requests.flatMap((request) => request.resourceSpans.flatMap((resource) => resource.scopeSpans.flatMap((scope) => scope.spans)))

const attribute = (span: OtlpSpan, key: string) => span.attributes.find((entry) => entry.key === key)?.value

const sqlite = (await adapterChoices()).find((choice) => choice.adapter === "sqlite")!

describe("OpenTelemetry traces", () => {
  let testDb: TestDatabase
  let token: { value: string; id: string }

  beforeAll(async () => {
    testDb = await sqlite.create()
    token = await createToken(testDb.url, "--scope", "gate:evaluate", "--name", "ci")
  }, 60_000)
  afterAll(async () => {
    await testDb?.drop()
  })

  it("with OTEL_EXPORTER_OTLP_ENDPOINT: a server span per request with route and status, the gate use case as its child, no secret", async () => {
    const collector = await startCollector()
    try {
      // A body field only the request carries: bodies are not recorded.
      const gateRequest = passingGateRequest()
      const gateRequestWithMarker = { ...gateRequest, release: { ...gateRequest.release, renderedManifestPath: "rendered/body-only-marker.yaml" } }
      const server = await startServer({
        database: testDb.url,
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
          OTEL_SERVICE_NAME: "rp-under-test",
          OTEL_EXPORTER_OTLP_HEADERS: "x-collector-key=abc%20def"
        }
      })
      let stopped = false
      try {
        const answer = await rawPost(`${server.url}/releasepassport/v1/gate/evaluate`, JSON.stringify(gateRequestWithMarker), {
          authorization: `Bearer ${token.value}`,
          cookie: "rp_session=cookie-value-never-exported"
        })
        expect(answer.status, answer.text).toBe(200)
        // A path the caller chose, carrying a token-shaped secret: refused, and the path must not travel.
        const probe = await fetch(`${server.url}/releasepassport/v1/passports/${token.value}?q=${token.value}`, {
          headers: { authorization: `Bearer ${token.value}` }
        })
        await probe.arrayBuffer()
        // Stopping flushes what is batched; the flush is bounded, so the stop is quick.
        const stopStarted = Date.now()
        await server.stop()
        stopped = true
        expect(Date.now() - stopStarted).toBeLessThan(15_000)
      } finally {
        if (!stopped) await server.stop()
      }

      expect(collector.bodies.length).toBeGreaterThan(0)
      expect(collector.headers[0]?.["x-collector-key"]).toBe("abc def")
      const requests = collector.requests()
      const resource = requests[0]!.resourceSpans[0]!.resource
      expect(resource.attributes.find((entry) => entry.key === "service.name")?.value.stringValue).toBe("rp-under-test")

      const spans = spansOf(requests)
      const requestSpan = spans.find((span) => span.name === "POST /releasepassport/v1/gate/evaluate")
      expect(requestSpan, spans.map((span) => span.name).join(", ")).toBeDefined()
      expect(requestSpan!.kind).toBe(2) // SERVER
      expect(attribute(requestSpan!, "http.route")?.stringValue).toBe("/releasepassport/v1/gate/evaluate")
      expect(Number(attribute(requestSpan!, "http.response.status_code")?.intValue)).toBe(200)
      expect(attribute(requestSpan!, "url.full")).toBeUndefined()

      const gateSpan = spans.find((span) => span.name === "Gate.evaluate")
      expect(gateSpan).toBeDefined()
      expect(gateSpan!.traceId).toBe(requestSpan!.traceId)
      // The use case's span descends from the request's span (middlewares may sit between them).
      const byId = new Map(spans.map((span) => [span.spanId, span]))
      const ancestors: Array<string> = []
      for (let span = gateSpan; span?.parentSpanId !== undefined && span.parentSpanId !== ""; span = byId.get(span.parentSpanId)) {
        ancestors.push(span.parentSpanId)
      }
      expect(ancestors).toContain(requestSpan!.spanId)

      const everything = collector.bodies.join("\n")
      expect(everything).not.toContain(token.value)
      expect(everything).not.toContain("cookie-value-never-exported")
      expect(everything).not.toContain("body-only-marker")
    } finally {
      await collector.close()
    }
  }, 60_000)

  it("without OTEL_EXPORTER_OTLP_ENDPOINT nothing is exported, whatever else is set", async () => {
    const collector = await startCollector()
    try {
      const server = await startServer({
        database: testDb.url,
        env: {
          OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
          // What Effect's environment-driven exporter would act on: this server does not.
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/v1/traces`,
          OTEL_TRACES_EXPORTER: "otlp",
          OTEL_SERVICE_NAME: "rp-under-test"
        }
      })
      try {
        const answer = await rawPost(`${server.url}/releasepassport/v1/gate/evaluate`, JSON.stringify(passingGateRequest()), {
          authorization: `Bearer ${token.value}`
        })
        expect(answer.status, answer.text).toBe(200)
      } finally {
        await server.stop()
      }
      expect(collector.connections()).toBe(0)
    } finally {
      await collector.close()
    }
  }, 60_000)

  it("a malformed OTEL_EXPORTER_OTLP_HEADERS stops the start with a line that does not echo it", async () => {
    const failure = await startServer({
      database: testDb.url,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9", OTEL_EXPORTER_OTLP_HEADERS: "api-key=%zz-secret-value" }
    }).then(async (server) => {
      await server.stop()
      return "started"
    }, (error: unknown) => String(error))
    expect(failure).toContain("OTEL_EXPORTER_OTLP_HEADERS: the value of entry 1 is not valid percent-encoding")
    expect(failure).not.toContain("secret-value")
  }, 60_000)
})
