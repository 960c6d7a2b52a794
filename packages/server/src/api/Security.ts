import type { ApiToken, TokenScope } from "@releasepassport/core"
import { Context } from "effect"
import { HttpApiMiddleware, HttpApiSecurity } from "effect/http-api"
import { Forbidden, ServiceUnavailable, Unauthorized } from "./Problems.ts"

/** The token that authenticated this request. */
export class CurrentToken extends Context.Service<CurrentToken, ApiToken>()("@releasepassport/server/CurrentToken") {}

/**
 * The scopes an endpoint accepts (any one of them suffices). Declared on the endpoint
 * in the API definition, read by the bearer middleware: one place says who may call what.
 */
export class AcceptedScopes extends Context.Service<AcceptedScopes, ReadonlyArray<TokenScope>>()(
  "@releasepassport/server/AcceptedScopes"
) {}

/** Bearer API tokens (`rp_…`), for pipelines. */
export class BearerToken extends HttpApiMiddleware.Service<BearerToken, { provides: CurrentToken }>()(
  "@releasepassport/server/BearerToken",
  {
    security: { bearer: HttpApiSecurity.bearer },
    error: [Unauthorized, Forbidden, ServiceUnavailable],
    requiredForClient: true
  }
) {}
