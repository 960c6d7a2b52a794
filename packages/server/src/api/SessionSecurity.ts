import type { Membership, Role } from "@releasepassport/core"
import { Context, Schema } from "effect"
import { HttpApiMiddleware, HttpApiSecurity } from "effect/http-api"
import type { SignedIn } from "@releasepassport/app"
import { Forbidden, MalformedRequest, NotFound, ServiceUnavailable, Unauthorized } from "./Problems.ts"

/**
 * Console (session) authentication, declared on the API definition.
 *
 * A session route puts two middlewares on its group, in this order (the last one added runs
 * first):
 *
 * ```ts
 * HttpApiGroup.make("passports")
 *   .add(
 *     HttpApiEndpoint.get("list", "/passports", { query: { ...WorkspaceQuery, ... }, success: ... })
 *       .annotate(MinimumRole, "viewer")
 *   )
 *   .middleware(WorkspaceAccess) // which workspace, and is the role enough?
 *   .middleware(SessionAuth)     // who: the session cookie, plus Origin and CSRF on writes
 * ```
 *
 * Handlers then read `CurrentSession` (the user) and `CurrentMembership` (the workspace and
 * the user's role there). Routes about the user rather than a workspace (`/auth/session`)
 * use `SessionAuth` alone.
 */

export const SESSION_COOKIE = "releasepassport_session"
/** The header a state-changing session request carries its CSRF token in. */
export const CSRF_HEADER = "x-csrf-token"

/** The signed-in user and their session. */
export class CurrentSession extends Context.Service<CurrentSession, SignedIn>()(
  "@releasepassport/server/CurrentSession"
) {}

/** The workspace a session request acts in, and the user's role there. */
export class CurrentMembership extends Context.Service<CurrentMembership, Membership>()(
  "@releasepassport/server/CurrentMembership"
) {}

/**
 * The weakest role an endpoint accepts, declared on the endpoint in the API definition
 * (like `AcceptedScopes` for tokens). Every endpoint behind `WorkspaceAccess` must declare
 * one; one that does not is refused with a 500 rather than left open.
 */
export class MinimumRole extends Context.Service<MinimumRole, Role>()("@releasepassport/server/MinimumRole") {}

/** Query fields every workspace-scoped session endpoint declares (for the client and OpenAPI). */
export const WorkspaceQuery = {
  workspace: Schema.optional(Schema.String).annotate({
    description: "Workspace slug. May be left out when the user belongs to exactly one workspace."
  })
}

/**
 * The session cookie. On methods other than GET/HEAD it also requires a same-origin `Origin`
 * header and the session's CSRF token in `X-CSRF-Token`. 401 without a live session; 403 for
 * a foreign or missing Origin or a wrong or missing CSRF token.
 */
export class SessionAuth extends HttpApiMiddleware.Service<SessionAuth, { provides: CurrentSession }>()(
  "@releasepassport/server/SessionAuth",
  {
    security: { session: HttpApiSecurity.apiKey({ key: SESSION_COOKIE, in: "cookie" }) },
    error: [Unauthorized, Forbidden, ServiceUnavailable]
  }
) {}

/**
 * Resolves the workspace of a session request (`?workspace=slug`, else the user's only one)
 * and checks the endpoint's `MinimumRole`. A workspace the user is not a member of answers
 * 404 exactly like one that does not exist; a role too low answers 403; a user in several
 * workspaces who names none gets 400 `workspace.required`.
 */
export class WorkspaceAccess extends HttpApiMiddleware.Service<
  WorkspaceAccess,
  { provides: CurrentMembership; requires: CurrentSession }
>()(
  "@releasepassport/server/WorkspaceAccess",
  { error: [Forbidden, NotFound, MalformedRequest, ServiceUnavailable] }
) {}
