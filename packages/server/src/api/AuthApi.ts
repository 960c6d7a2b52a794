import { Role } from "@releasepassport/core"
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { Forbidden, ServiceUnavailable, TooManyRequests, Unauthorized } from "./Problems.ts"
import { SessionAuth } from "./SessionSecurity.ts"

export const LoginRequest = Schema.Struct({
  // Bounded but not validated further: a malformed email is simply a failed sign-in.
  email: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(320)),
  password: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(1024))
})

export const SessionInfo = Schema.Struct({
  user: Schema.Struct({ id: Schema.String, email: Schema.String, displayName: Schema.String }),
  /** Every workspace the user belongs to, with their role there. */
  workspaces: Schema.Array(Schema.Struct({ slug: Schema.String, name: Schema.String, role: Role })),
  /** Send it back in `X-CSRF-Token` on every request that is not GET. */
  csrfToken: Schema.String,
  /** When the session ends however active it is. */
  expiresAt: Schema.String,
  /** A session also ends after this long without a request. */
  idleTimeoutSeconds: Schema.Int
})
export type SessionInfo = typeof SessionInfo.Type

export class AuthApi extends HttpApiGroup.make("auth")
  .add(
    HttpApiEndpoint.post("login", "/auth/login", {
      payload: LoginRequest,
      error: [Unauthorized, Forbidden, TooManyRequests, ServiceUnavailable]
    }).annotate(
      OpenApi.Description,
      "Signs in: 204 and a new `releasepassport_session` cookie. Wrong email and wrong password get the same " +
        "401 `auth.login_failed`; repeated failures per account or client address get 429 `auth.throttled` with Retry-After."
    ),
    HttpApiEndpoint.post("logout", "/auth/logout").middleware(SessionAuth).annotate(
      OpenApi.Description,
      "Ends the session (needs Origin and X-CSRF-Token). The cookie stops working at once."
    ),
    HttpApiEndpoint.get("session", "/auth/session", { success: SessionInfo }).middleware(SessionAuth).annotate(
      OpenApi.Description,
      "Who is signed in, their workspaces and roles, and the session's CSRF token."
    )
  )
  .annotateMerge(OpenApi.annotations({ title: "Auth", description: "Console sign-in and sessions" }))
{}
