import { ConsoleSessions, csrfTokenMatches, isSameOrigin, localEndpoint } from "@releasepassport/app"
import type { Reader, SignedIn } from "@releasepassport/app"
import { roleAtLeast } from "@releasepassport/core"
import type { Membership, Role, StoreUnavailable } from "@releasepassport/core"
import { Effect, Redacted } from "effect"
import type { HttpServerRequest } from "effect/http"
import { forbidden, NeedsSignIn, notFound, PageRefused } from "./ConsoleErrors.ts"

/** The API's session cookie: one sign-in for the console and the JSON API. */
export const SESSION_COOKIE = "releasepassport_session"

/** A signed-in visit to a console page, in one workspace. */
export interface Visit {
  readonly signedIn: SignedIn
  readonly memberships: ReadonlyArray<Membership>
  readonly membership: Membership
  readonly reader: Reader
  /** Rendered into every form; derived from the cookie, so it is no secret beyond the session. */
  readonly csrfToken: string
  readonly url: URL
  readonly now: number
}

export const requestUrl = (request: HttpServerRequest.HttpServerRequest) => new URL(request.url, "http://console.invalid")

/** Where to return after signing in: only a console path of this server, never another site. */
export const safeNext = (next: string | null | undefined): string =>
  next !== null && next !== undefined && /^\/console(\/[A-Za-z0-9._~\/-]*)?(\?[A-Za-z0-9._~=&%+-]*)?$/.test(next) &&
    !/(^|\/)\.\.?(\/|\?|$)/.test(next.split("?")[0]!)
    ? next
    : "/console"

/**
 * Who is visiting and in which workspace (`?workspace=slug`, else their first). A workspace
 * they are not a member of is the same 404 as one that does not exist.
 */
export const visit = (
  request: HttpServerRequest.HttpServerRequest
): Effect.Effect<Visit, NeedsSignIn | PageRefused | StoreUnavailable, ConsoleSessions> =>
  Effect.gen(function*() {
    const sessions = yield* ConsoleSessions
    const url = requestUrl(request)
    const next = safeNext(url.pathname + url.search)
    const cookie = request.cookies[SESSION_COOKIE] ?? ""
    const signedIn = yield* sessions.authenticate(Redacted.make(cookie)).pipe(
      Effect.catchTag("SessionRejected", (rejected) =>
        Effect.fail(new NeedsSignIn({ next, expireCookie: rejected.reason !== "missing" })))
    )
    const memberships = [...yield* sessions.memberships(signedIn.user)].sort((a, b) =>
      a.workspace.slug.localeCompare(b.workspace.slug)
    )
    const slugs = url.searchParams.getAll("workspace")
    if (slugs.length > 1) return yield* notFound()
    const membership = slugs.length === 1 ? memberships.find((m) => m.workspace.slug === slugs[0]) : memberships[0]
    if (membership === undefined) {
      if (memberships.length === 0) return yield* forbidden("Your account belongs to no workspace yet; ask an owner to add you.")
      return yield* notFound()
    }
    return {
      signedIn,
      memberships,
      membership,
      reader: { userId: signedIn.user.id, membership },
      csrfToken: Redacted.value(signedIn.csrfToken),
      url,
      now: Date.now()
    }
  })

/** A posted form, as plain pairs. */
export type Form = ReadonlyArray<readonly [string, string]>

/** A state change: same origin and the session's CSRF token, or nothing happens. */
export const formVisit = (
  request: HttpServerRequest.HttpServerRequest,
  origin: { readonly publicUrl: string | undefined }
): Effect.Effect<{ readonly visit: Visit; readonly form: Form }, NeedsSignIn | PageRefused | StoreUnavailable, ConsoleSessions> =>
  Effect.gen(function*() {
    const signed = yield* visit(request)
    if (!isSameOrigin(request.headers["origin"], { publicUrl: origin.publicUrl, local: localEndpoint(request) })) {
      return yield* forbidden("This form must be sent from the Release Passport console's own address.")
    }
    const form = yield* readForm(request).pipe(
      Effect.mapError(() => new PageRefused({ status: 400, title: "Not accepted", message: "The form could not be read." }))
    )
    const presented = form.find(([key]) => key === "_csrf")?.[1] ?? request.headers["x-csrf-token"]
    if (!csrfTokenMatches(request.cookies[SESSION_COOKIE] ?? "", presented)) {
      return yield* forbidden("The form had expired; reload the page and try again.")
    }
    return { visit: signed, form }
  })

/** Pages hide actions a role may not take; this refuses them anyway when they are posted. */
export const requireRole = (current: Visit, minimum: Role): Effect.Effect<void, PageRefused> =>
  roleAtLeast(current.membership.role, minimum)
    ? Effect.void
    : Effect.fail(forbidden(`This needs the ${minimum} role or higher in ${current.membership.workspace.name}; you are ${current.membership.role}.`))

export const readForm = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.map(request.urlParamsBody, (params): Form =>
    params.params.map(([key, value]) => [key, typeof value === "string" ? value : Redacted.value(value)] as const))

export const field = (form: Form, name: string): string | undefined => form.find(([key]) => key === name)?.[1]
export const fields = (form: Form, name: string): Array<string> =>
  form.filter(([key]) => key === name).map(([, value]) => value)
