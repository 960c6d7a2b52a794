import { Context } from "effect"
import { HttpApiMiddleware, HttpApiSecurity } from "effect/http-api"
import { Forbidden, MalformedRequest, NotFound, ServiceUnavailable, Unauthorized } from "./Problems.ts"
import { SESSION_COOKIE } from "./SessionSecurity.ts"

/** The workspace a session-or-token request acts in, and which credential established it. */
export class RequestWorkspace extends Context.Service<RequestWorkspace, {
  readonly workspaceId: string
  readonly via: "session" | "token"
  /** Who asked, for records such as a report's `generatedBy`: the user's email, or the token's name and id (never its value). */
  readonly actor: string
}>()("@releasepassport/server/RequestWorkspace") {}

/**
 * A read that both the console and automation may make: a session (with the endpoint's
 * `MinimumRole` in the workspace, exactly as `SessionAuth` + `WorkspaceAccess` check it) or an
 * API token (with one of the endpoint's `AcceptedScopes`, exactly as `BearerToken` checks it).
 * Declared on the endpoint like the others:
 *
 * ```ts
 * HttpApiEndpoint.get("status", "/license/status", { query: WorkspaceQuery, success: ... })
 *   .annotate(MinimumRole, "viewer")
 *   .annotate(AcceptedScopes, ["license:read"])
 * // on the group:
 *   .middleware(SessionOrToken)
 * ```
 *
 * A request with an `Authorization` header is judged by its token alone (a bad token is not
 * rescued by a cookie); any other by its session cookie. The OpenAPI document lists the two
 * schemes as alternatives, under the same names as the session and bearer routes use.
 */
export class SessionOrToken extends HttpApiMiddleware.Service<SessionOrToken, { provides: RequestWorkspace }>()(
  "@releasepassport/server/SessionOrToken",
  {
    security: {
      session: HttpApiSecurity.apiKey({ key: SESSION_COOKIE, in: "cookie" }),
      bearer: HttpApiSecurity.bearer
    },
    error: [Unauthorized, Forbidden, NotFound, MalformedRequest, ServiceUnavailable]
  }
) {}
