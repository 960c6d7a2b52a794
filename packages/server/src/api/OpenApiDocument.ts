/**
 * What the generated OpenAPI document needs beyond what the endpoint definitions say: a
 * summary (and, where the definition has none, a description) for every operation, the
 * documented examples, the answers every route can give (a refused or oversized body, the
 * server starting, a defect), `servers`, the license and the package version. Applied as the
 * API's `OpenApi.Transform`, so `/openapi.json`, the docs page and `OpenApi.fromApi` agree.
 * `server/test/OpenApiDocument.test.ts` fails when an operation has no entry here.
 */

/** The package version (kept equal to packages/server/package.json by the test). */
export const API_VERSION = "0.1.0"

export const OPERATION_DOCS: Record<string, {
  readonly summary: string
  readonly description?: string
  /** What a declared status means on this operation (the definition only names its class, e.g. "Conflict"). */
  readonly responses?: Record<string, string>
}> = {
  "system.healthz": {
    summary: "Liveness",
    description: "200 while the process serves requests; no database access. For liveness probes."
  },
  "system.readyz": {
    summary: "Readiness",
    description: "200 when the database answers and a policy bundle is loaded; 503 otherwise. For readiness probes and load balancers."
  },
  "gate.evaluate": {
    summary: "Evaluate a release gate",
    responses: {
      "409": "The Idempotency-Key was already used with another body in this workspace (`idempotency.key_reused`); nothing was recorded."
    }
  },
  "auth.login": { summary: "Sign in to the console" },
  "auth.logout": { summary: "Sign out" },
  "auth.session": { summary: "The current console session" },
  "tokens.list": { summary: "List API tokens" },
  "tokens.create": { summary: "Create an API token" },
  "tokens.revoke": { summary: "Revoke an API token" },
  "evidence.ingest": {
    summary: "Attach evidence to a release",
    responses: {
      "409": "The Idempotency-Key was already used with another body in this workspace (`idempotency.key_reused`), or an item's identity belongs to another release's passport (`evidence.identity_conflict`); nothing was stored."
    }
  },
  "passports.list": { summary: "List passports" },
  "passports.get": { summary: "Read a passport" },
  "passports.comment": { summary: "Comment on a passport" },
  "passports.deleteComment": { summary: "Delete a comment" },
  "integrations.list": { summary: "Connector health" },
  "integrations.declare": { summary: "Declare a connector" },
  "license.status": { summary: "License status" },
  "metrics.scrape": { summary: "Prometheus metrics" },
  "policies.upload": { summary: "Upload a policy bundle" },
  "policies.activate": { summary: "Activate a policy bundle" },
  "policies.candidate": { summary: "Make a policy bundle the candidate" },
  "policies.clearCandidate": { summary: "Clear the candidate policy bundle" },
  "policies.candidateReport": { summary: "Where the candidate and the active policy disagree" },
  "policies.replay": { summary: "Replay past evaluations with a bundle" },
  "policies.overview": { summary: "The workspace's policy bundles" },
  "policies.passportInput": { summary: "A passport's latest policy input, to re-run" },
  "policies.bundle": { summary: "Download a policy bundle" },
  "reports.impact": { summary: "Shadow impact report" },
  "reports.decisions": { summary: "Export decisions (CSV or JSONL)" },
  "reports.passportReport": { summary: "A passport's report for a change record" },
  "reports.auditPack": { summary: "Audit pack (zip)" }
}

/** The examples of the API reference, exactly as documented there (the gate example's digest is a placeholder and fails the digest check). */
const EXAMPLES: Record<string, unknown> = {
  "gate.evaluate": {
    mode: "shadow",
    service: { name: "checkout-api", namespace: "apps-checkout", environment: "production" },
    artifact: { digest: "sha256:abc123..." },
    release: { releaseId: "gh-123456", sourceSha: "9f3c8b7", renderedManifestPath: "rendered/checkout-api.yaml" },
    health: { ready: true, requireHealthyTarget: true },
    rollback: { available: true, verified: false }
  },
  "evidence.ingest": {
    source: "github_actions",
    externalId: "run-123456",
    service: { name: "checkout-api", namespace: "apps-checkout" },
    release: { releaseId: "gh-123456", sourceSha: "9f3c8b7" },
    artifact: { digest: "sha256:abc123..." },
    evidence: [{ type: "smoke", status: "passed", summary: "render and health smoke passed" }]
  }
}

const PROBLEM_REF = { $ref: "#/components/schemas/Problem" }
const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: PROBLEM_REF } } })

/** Answers any route can give, whatever its definition declares. */
const EVERY_ROUTE: Record<string, ReturnType<typeof problem>> = {
  "500": problem("A defect on the server's side (`internal`); the problem carries only a correlation id."),
  "503": problem("The server is starting (`server.starting`, with Retry-After), or the database is unavailable (`store.unavailable`).")
}
/** Answers of a route that takes a body (problemResponses gives them before the handler runs). */
const WITH_BODY: Record<string, ReturnType<typeof problem>> = {
  "413": problem("The body is larger than the server's limit (`request.too_large`, default 1 MiB)."),
  "415": problem("The body is not `application/json` (`request.unsupported_media_type`).")
}

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"]

/** Headers that mean the same on every operation that takes them. */
const HEADER_DOCS: Record<string, string> = {
  "idempotency-key":
    "Makes a retry safe: within 24 hours, a request with the same key and the same body (in the same workspace) gets the first answer and records nothing new; the same key with another body is refused with 409 `idempotency.key_reused`. 1-200 visible ASCII characters; a fresh random value per logical request (the CLI sends one per invocation)."
}

export const documentOpenApi = (spec: Record<string, any>): Record<string, any> => {
  const paths: Record<string, Record<string, any>> = {}
  for (const [path, item] of Object.entries<Record<string, any>>(spec["paths"] ?? {})) {
    const operations: Record<string, any> = { ...item }
    for (const method of METHODS) {
      const operation = item[method]
      if (operation === undefined) continue
      const docs = OPERATION_DOCS[operation.operationId]
      const example = EXAMPLES[operation.operationId]
      const requestBody = operation.requestBody === undefined ? undefined : {
        ...operation.requestBody,
        content: Object.fromEntries(
          Object.entries<Record<string, any>>(operation.requestBody.content ?? {}).map(([type, media]) => [
            type,
            example === undefined ? media : { ...media, example }
          ])
        )
      }
      const parameters = operation.parameters === undefined ? undefined : operation.parameters.map((parameter: Record<string, any>) =>
        parameter["in"] === "header" && HEADER_DOCS[parameter["name"]] !== undefined && parameter["description"] === undefined
          ? { ...parameter, description: HEADER_DOCS[parameter["name"]] }
          : parameter
      )
      const responses: Record<string, any> = { ...operation.responses }
      for (const [status, description] of Object.entries(docs?.responses ?? {})) {
        if (responses[status] !== undefined) responses[status] = { ...responses[status], description }
      }
      operations[method] = {
        ...operation,
        ...(parameters !== undefined ? { parameters } : {}),
        ...(docs !== undefined ? { summary: docs.summary } : {}),
        ...(operation.description === undefined && docs?.description !== undefined ? { description: docs.description } : {}),
        ...(requestBody !== undefined ? { requestBody } : {}),
        responses: { ...EVERY_ROUTE, ...(requestBody !== undefined ? WITH_BODY : {}), ...responses }
      }
    }
    paths[path] = operations
  }
  return {
    ...spec,
    info: {
      ...spec["info"],
      version: API_VERSION,
      license: { name: "Apache-2.0", identifier: "Apache-2.0" }
    },
    servers: [
      { url: "/", description: "The server that serves this document" },
      { url: "http://127.0.0.1:8080", description: "`releasepassport serve` with its defaults" }
    ],
    tags: (spec["tags"] ?? []).map((tag: Record<string, any>) =>
      tag["name"] === "system" && tag["description"] === undefined
        ? { ...tag, description: "Liveness and readiness probes" }
        : tag
    ),
    paths,
    components: {
      ...spec["components"],
      schemas: {
        ...spec["components"]?.["schemas"],
        Problem: {
          type: "object",
          description: "An RFC 9457 problem with a stable machine `code`; clients branch on `code`.",
          required: ["type", "status", "title", "code"],
          properties: {
            type: { type: "string" },
            status: { type: "integer" },
            title: { type: "string" },
            code: { type: "string" },
            detail: { type: "string" },
            correlationId: { type: "string" }
          }
        }
      }
    }
  }
}
