import { Api, BearerToken } from "@releasepassport/server"
import { Effect } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest } from "effect/http"
import { HttpApiClient, HttpApiMiddleware } from "effect/http-api"
import { expect } from "vitest"
import { readAnswer } from "./client.ts"
import type { RawAnswer } from "./client.ts"

export type { RawAnswer }

/**
 * Console sessions from the outside: sign in over HTTP, keep the cookie and CSRF token, and
 * call session routes with the typed client (or raw fetch where the test is about headers).
 */
export const SESSION_COOKIE = "releasepassport_session"
export const BASE = "/releasepassport/v1"

export interface Session {
  /** The cookie's value, as the browser would keep it. */
  readonly cookie: string
  readonly csrf: string
  /** The Origin a browser on the console's page would send. */
  readonly origin: string
}


/** The session cookie a response sets, with its attributes as sent. */
export const sessionSetCookie = (headers: Headers): string | undefined =>
  headers.getSetCookie().find((c) => c.startsWith(`${SESSION_COOKIE}=`))

export const cookieValue = (setCookie: string | undefined): string | undefined =>
  setCookie === undefined ? undefined : setCookie.slice(SESSION_COOKIE.length + 1).split(";")[0]

/** `POST /auth/login` as a browser on the console would send it. */
export const login = async (
  baseUrl: string,
  email: string,
  password: string,
  headers: Record<string, string> = {}
): Promise<RawAnswer & { readonly cookie: string | undefined; readonly setCookie: string | undefined }> => {
  const response = await fetch(`${baseUrl}${BASE}/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: baseUrl, ...headers },
    body: JSON.stringify({ email, password })
  })
  const setCookie = sessionSetCookie(response.headers)
  return { ...(await readAnswer(response)), setCookie, cookie: cookieValue(setCookie) }
}

/** Raw HTTP with a session (or none): for cookies, Origin and CSRF headers, odd requests. */
export const call = async (
  baseUrl: string,
  method: string,
  path: string,
  options: {
    readonly session?: Session | undefined
    readonly cookie?: string
    readonly csrf?: string | null
    readonly origin?: string | null
    readonly body?: unknown
    readonly headers?: Record<string, string>
  } = {}
): Promise<RawAnswer> => {
  const headers: Record<string, string> = { ...options.headers }
  const cookie = options.cookie ?? options.session?.cookie
  if (cookie !== undefined) headers["cookie"] = `${SESSION_COOKIE}=${cookie}`
  const csrf = options.csrf === undefined ? options.session?.csrf : options.csrf
  if (csrf !== null && csrf !== undefined) headers["x-csrf-token"] = csrf
  const origin = options.origin === undefined ? options.session?.origin : options.origin
  if (origin !== null && origin !== undefined) headers["origin"] = origin
  if (options.body !== undefined) headers["content-type"] = "application/json"
  const response = await fetch(`${baseUrl}${BASE}${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {})
  })
  return readAnswer(response)
}

/** Signs in and reads the CSRF token, as the console does; fails the test if either fails. */
export const signIn = async (baseUrl: string, email: string, password: string, origin = baseUrl): Promise<Session> => {
  const signedIn = await login(baseUrl, email, password, { origin })
  expect(signedIn.status, signedIn.text).toBe(204)
  expect(signedIn.cookie).toMatch(/^[A-Za-z0-9_-]{43}$/)
  const info = await call(baseUrl, "GET", "/auth/session", { cookie: signedIn.cookie! })
  expect(info.status, info.text).toBe(200)
  return { cookie: signedIn.cookie!, csrf: info.json.csrfToken, origin }
}

/** The typed client derived from the API, sending the session's cookie, Origin and CSRF token. */
export const sessionClient = (baseUrl: string, session: Session) =>
  Effect.runPromise(
    HttpApiClient.make(Api, {
      baseUrl,
      transformClient: HttpClient.mapRequest(HttpClientRequest.setHeaders({
        cookie: `${SESSION_COOKIE}=${session.cookie}`,
        origin: session.origin,
        "x-csrf-token": session.csrf
      }))
    }).pipe(
      // Session routes need nothing from the bearer middleware; gate routes are not used here.
      Effect.provide(HttpApiMiddleware.layerClient(BearerToken, ({ next, request }) => next(request))),
      Effect.provide(FetchHttpClient.layer)
    )
  )

export type SessionClient = Awaited<ReturnType<typeof sessionClient>>
