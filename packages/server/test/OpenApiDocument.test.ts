import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { OpenApi } from "effect/http-api"
import { describe, expect, it } from "vitest"
import { documentedGateRequest } from "@releasepassport/testing"
import { Api } from "../src/api/Api.ts"
import { API_VERSION } from "../src/api/OpenApiDocument.ts"

const ROOT = fileURLToPath(new URL("../../../", import.meta.url))
const spec = OpenApi.fromApi(Api) as any
const operations = Object.entries<Record<string, any>>(spec.paths).flatMap(([route, item]) =>
  Object.entries<any>(item).map(([method, operation]) => ({ route, method, operation }))
)

describe("the OpenAPI document", () => {
  it("every operation has a summary, a description and the answers every route can give", () => {
    expect(operations.length).toBeGreaterThan(15)
    for (const { route, method, operation } of operations) {
      const where = `${method.toUpperCase()} ${route}`
      expect(operation.summary, where).toMatch(/\S/)
      expect(operation.description, where).toMatch(/\S/)
      expect(Object.keys(operation.responses), where).toEqual(expect.arrayContaining(["500", "503"]))
      if (operation.requestBody !== undefined) {
        expect(Object.keys(operation.responses), where).toEqual(expect.arrayContaining(["413", "415", "422"]))
      }
      if ((operation.security ?? []).length > 0) {
        expect(Object.keys(operation.responses), where).toEqual(expect.arrayContaining(["401", "403"]))
      }
    }
  })

  it("declares each status the server gives somewhere: 401/403/404/409/413/415/422/429/503", () => {
    const statuses = new Set(operations.flatMap(({ operation }) => Object.keys(operation.responses)))
    for (const status of ["401", "403", "404", "409", "413", "415", "422", "429", "503"]) expect(statuses.has(status), status).toBe(true)
  })

  it("the gate and evidence routes document their Idempotency-Key header and its 409", () => {
    for (const route of ["/releasepassport/v1/gate/evaluate", "/releasepassport/v1/evidence/ingest"]) {
      const operation = spec.paths[route].post
      const header = operation.parameters.find((p: any) => p.in === "header" && p.name === "idempotency-key")
      expect(header, route).toMatchObject({ required: false, schema: { type: "string", minLength: 1, maxLength: 200 } })
      expect(header.description, route).toContain("idempotency.key_reused")
      expect(operation.responses["409"].description, route).toContain("idempotency.key_reused")
      expect(operation.responses["409"].content["application/problem+json"], route).toBeDefined()
    }
  })

  it("servers, license and the package version", () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "packages/server/package.json"), "utf8"))
    expect(API_VERSION).toBe(pkg.version)
    expect(spec.info.version).toBe(pkg.version)
    expect(spec.info.license).toEqual({ name: "Apache-2.0", identifier: "Apache-2.0" })
    expect(spec.servers.length).toBeGreaterThan(0)
  })

  it("carries the API reference's gate and evidence examples as documented", () => {
    const example = (route: string) => spec.paths[route].post.requestBody.content["application/json"].example
    expect(example("/releasepassport/v1/gate/evaluate")).toEqual(documentedGateRequest)
    expect(example("/releasepassport/v1/evidence/ingest")).toMatchObject({ source: "github_actions", externalId: "run-123456" })
  })

  it("passes @redocly/cli lint (recommended rules)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "releasepassport-openapi-"))
    try {
      const file = path.join(dir, "openapi.json")
      writeFileSync(file, JSON.stringify(spec))
      const lint = spawnSync(process.execPath, [path.join(ROOT, "node_modules/@redocly/cli/bin/cli.js"), "lint", file, "--format=summary"], {
        encoding: "utf8",
        env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
        timeout: 60_000
      })
      expect(lint.status, `${lint.stdout}\n${lint.stderr}`).toBe(0)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }, 90_000)
})
