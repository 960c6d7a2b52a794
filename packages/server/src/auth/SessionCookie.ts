import { Effect } from "effect"
import { HttpEffect, HttpServerResponse } from "effect/http"
import { SESSION_COOKIE } from "../api/SessionSecurity.ts"
import type { ServerConfigShape } from "../ServerConfig.ts"

/**
 * The session cookie's attributes: HttpOnly (no script reads it), SameSite=Lax (not sent on
 * cross-site subrequests or POSTs), Path=/, and Secure when the public URL is https. It lives
 * no longer than the session's absolute timeout; the server decides expiry either way.
 */
const attributes = (config: ServerConfigShape) => ({
  httpOnly: true,
  sameSite: "lax" as const,
  path: "/",
  secure: config.publicUrl !== undefined && config.publicUrl.toLowerCase().startsWith("https:")
})

/** Sets the session cookie on the response to this request (success or error alike). */
export const setSessionCookie = (config: ServerConfigShape, secret: string) =>
  HttpEffect.appendPreResponseHandler((_request, response) =>
    Effect.orDie(HttpServerResponse.setCookie(response, SESSION_COOKIE, secret, {
      ...attributes(config),
      maxAge: `${Math.floor(config.sessionAbsoluteTimeoutMs / 1000)} seconds`
    }))
  )

/** Tells the browser to drop the session cookie. */
export const expireSessionCookie = (config: ServerConfigShape) =>
  HttpEffect.appendPreResponseHandler((_request, response) =>
    Effect.orDie(HttpServerResponse.expireCookie(response, SESSION_COOKIE, attributes(config)))
  )
