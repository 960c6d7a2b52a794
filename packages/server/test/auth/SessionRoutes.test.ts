import { Context } from "effect"
import { describe, expect, it } from "vitest"
import { Api } from "../../src/api/Api.ts"
import { AcceptedScopes } from "../../src/api/Security.ts"
import { SessionOrToken } from "../../src/api/SessionOrTokenSecurity.ts"
import { MinimumRole, SessionAuth, WorkspaceAccess } from "../../src/api/SessionSecurity.ts"

/**
 * The API definition's own guarantees for session routes, checked over every endpoint, so a
 * route added later cannot be left open by a forgotten declaration.
 */
const endpoints = Object.values(Api.groups).flatMap((group) =>
  Object.values(group.endpoints).map((endpoint) => ({ name: `${group.identifier}.${endpoint.identifier}`, endpoint }))
)

describe("session routes in the API definition", () => {
  it("has workspace-scoped session routes to check (tokens at least)", () => {
    expect(endpoints.filter(({ endpoint }) => endpoint.middlewares.has(WorkspaceAccess)).map((e) => e.name))
      .toEqual(expect.arrayContaining(["tokens.list", "tokens.create", "tokens.revoke"]))
  })

  it.each(endpoints.map((e) => [e.name, e.endpoint] as const))("%s: roles are declared and checked", (_name, endpoint) => {
    const minimum = Context.getOrUndefined(endpoint.annotations, MinimumRole)
    const middlewares = [...endpoint.middlewares]
    if (endpoint.middlewares.has(SessionOrToken)) {
      // Session or token: it checks the role (through WorkspaceAccess) and the scopes itself, so both are declared.
      expect(minimum).toBeDefined()
      expect(Context.getOrUndefined(endpoint.annotations, AcceptedScopes)?.length ?? 0).toBeGreaterThan(0)
      expect(endpoint.middlewares.has(SessionAuth) || endpoint.middlewares.has(WorkspaceAccess)).toBe(false)
    } else if (endpoint.middlewares.has(WorkspaceAccess) || minimum !== undefined) {
      expect(minimum).toBeDefined()
      expect(endpoint.middlewares.has(WorkspaceAccess)).toBe(true)
      expect(endpoint.middlewares.has(SessionAuth)).toBe(true)
      // Middlewares listed later wrap earlier ones: the session must be established first.
      expect(middlewares.indexOf(SessionAuth)).toBeGreaterThan(middlewares.indexOf(WorkspaceAccess))
    }
  })
})
