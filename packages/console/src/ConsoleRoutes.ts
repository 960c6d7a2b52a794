import {
  Comments,
  ConsoleSessions,
  CreateTokenRequest,
  DeclareConnector,
  Integrations,
  isSameOrigin,
  localEndpoint,
  LicenseService,
  NewComment,
  openForSession,
  Overview,
  Passports,
  Policies,
  Reports,
  sealForSession,
  SessionPolicy,
  Tokens,
  userActor
} from "@releasepassport/app"
import type { PassportFilters } from "@releasepassport/app"
import { EvidenceName, GateMode, VerdictKind } from "@releasepassport/core"
import { Cause, Effect, Option, Redacted, Schema } from "effect"
import { HttpRouter, HttpServerRequest, HttpServerResponse } from "effect/http"
import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto"
import { h } from "preact"
import type { VNode } from "preact"

/** A page component with its props checked (preact's `h` overloads lose them). */
const view = <P,>(component: (props: P) => VNode, props: P): VNode => h(component as never, props as never)
import { ASSET_PREFIX, loadAssets } from "./Assets.ts"
import { field, fields, formVisit, readForm, requestUrl, requireRole, safeNext, SESSION_COOKIE, visit } from "./ConsoleAuth.ts"
import type { Form, Visit } from "./ConsoleAuth.ts"
import { badRequest, NeedsSignIn, notFound, PageRefused } from "./ConsoleErrors.ts"
import { pageFor } from "./ConsolePages.ts"
import type { DomainError } from "./ConsolePages.ts"
import { page, SECURITY_HEADERS, seeOther } from "./Responses.ts"
import { href } from "./views/Format.tsx"
import { IntegrationsPage } from "./views/IntegrationsPage.tsx"
import { ErrorPage } from "./views/Layout.tsx"
import { LicensePage } from "./views/LicensePage.tsx"
import { LoginPage } from "./views/LoginPage.tsx"
import { OverviewPage } from "./views/OverviewPage.tsx"
import { PassportDetailPage } from "./views/PassportDetailPage.tsx"
import { PoliciesPage } from "./views/PoliciesPage.tsx"
import { filterFields, PassportsPage } from "./views/PassportsPage.tsx"
import type { FilterValues } from "./views/PassportsPage.tsx"
import { reportFilterFields, ReportsPage } from "./views/ReportsPage.tsx"
import type { ReportFilterValues } from "./views/ReportsPage.tsx"
import { TokensPage } from "./views/TokensPage.tsx"

export interface ConsoleOptions {
  /** The server's public URL: decides the Secure cookie flag and what counts as our origin. */
  readonly publicUrl: string | undefined
}

/** Sign-in has no session yet; a per-browser random value in a cookie and the form guards it. */
const LOGIN_COOKIE = "releasepassport_login"
const LOGIN_CSRF_SECONDS = 3600

/**
 * A new token's value on its way from the POST that made it to the GET that shows it (once):
 * sealed for the session, only ever sent to the tokens page, gone after that page or 2 minutes.
 */
const NEW_TOKEN_COOKIE = "releasepassport_new_token"
const NEW_TOKEN_PURPOSE = "releasepassport/console/new-token/v1"
const NEW_TOKEN_SECONDS = 120
const TOKENS_PATH = "/console/tokens"

const PASSPORT_ID = /^[A-Za-z0-9_-]{1,100}$/
const BUNDLE_DIGEST = /^sha256:[0-9a-f]{64}$/
/** The policies page's disagreement window, as `GET /reports/candidate` defaults to. */
const CANDIDATE_WINDOW_DAYS = 7

const decodeOption = <S extends Schema.Top>(schema: S) => {
  const decode = Schema.decodeUnknownOption(schema as never)
  return (input: unknown): S["Type"] | undefined => Option.getOrUndefined(decode(input)) as S["Type"] | undefined
}
const decodeVerdict = decodeOption(VerdictKind)
const decodeMode = decodeOption(GateMode)
const decodeComment = decodeOption(NewComment)
const decodeToken = decodeOption(CreateTokenRequest)
const decodeConnector = decodeOption(DeclareConnector)
const decodeSource = decodeOption(EvidenceName)

const sameBytes = (a: string, b: string) => {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/**
 * The console's pages, added to the server's router. Every page calls the use cases the JSON
 * API calls; what a role may do is decided there (and re-checked here on every post), never
 * only by what a page shows.
 */
export const ConsoleRoutes = (options: ConsoleOptions) =>
  HttpRouter.use(Effect.fn(function*(router) {
    const assets = loadAssets()
    const sessions = yield* ConsoleSessions
    const passports = yield* Passports
    const overviews = yield* Overview
    const comments = yield* Comments
    const tokens = yield* Tokens
    const integrations = yield* Integrations
    const licenses = yield* LicenseService
    const reports = yield* Reports
    const policies = yield* Policies
    const sessionPolicy = yield* SessionPolicy
    const secure = options.publicUrl !== undefined && options.publicUrl.toLowerCase().startsWith("https:")
    const cookieAttributes = { httpOnly: true, sameSite: "lax" as const, path: "/", secure }

    const render = (node: VNode, status = 200) => page(node, { status })

    const errorPage = (refused: PageRefused, current: Visit | undefined) =>
      render(view(ErrorPage, { assets, status: refused.status, title: refused.title, message: refused.message, visit: current }), refused.status)

    const toSignIn = (needs: NeedsSignIn) => {
      const response = seeOther(`/console/login?next=${encodeURIComponent(needs.next)}`)
      return needs.expireCookie ? HttpServerResponse.expireCookieUnsafe(response, SESSION_COOKIE, cookieAttributes) : response
    }

    /** Anything unexpected: logged with a correlation id, never echoed. */
    const defectPage = (cause: Cause.Cause<unknown>) => {
      const correlationId = randomUUID()
      return Effect.logError("console: request failed", Cause.pretty(cause)).pipe(
        Effect.annotateLogs({ correlationId }),
        Effect.as(errorPage(new PageRefused({ status: 500, title: "Something went wrong", message: `Quote the correlation id ${correlationId}.` }), undefined))
      )
    }

    const guard = <R>(effect: Effect.Effect<HttpServerResponse.HttpServerResponse, NeedsSignIn | PageRefused | DomainError, R>) =>
      effect.pipe(
        Effect.catchTags({
          NeedsSignIn: (needs: NeedsSignIn) => Effect.succeed(toSignIn(needs)),
          PageRefused: (refused: PageRefused) => Effect.succeed(errorPage(refused, undefined))
        }),
        Effect.catch((error: DomainError) => Effect.succeed(errorPage(pageFor(error), undefined))),
        Effect.catchCause((cause) => Cause.hasInterruptsOnly(cause) ? Effect.failCause(cause) : defectPage(cause))
      )

    /** A signed-in page: errors after the visit is known render inside the layout. */
    const signedInPage = (handler: (current: Visit, request: HttpServerRequest.HttpServerRequest) => Effect.Effect<HttpServerResponse.HttpServerResponse, PageRefused | DomainError, HttpRouter.RouteContext>) =>
      (request: HttpServerRequest.HttpServerRequest) =>
        guard(Effect.gen(function*() {
          const current = yield* visit(request).pipe(Effect.provideService(ConsoleSessions, sessions))
          return yield* handler(current, request).pipe(
            Effect.catch((error: PageRefused | DomainError) =>
              Effect.succeed(errorPage(error._tag === "PageRefused" ? error : pageFor(error), current)))
          )
        }))

    /** A state change: same origin and CSRF checked before the handler sees the form. */
    const signedInPost = (handler: (current: Visit, form: Form, request: HttpServerRequest.HttpServerRequest) => Effect.Effect<HttpServerResponse.HttpServerResponse, PageRefused | DomainError, HttpRouter.RouteContext>) =>
      (request: HttpServerRequest.HttpServerRequest) =>
        guard(Effect.gen(function*() {
          const { visit: current, form } = yield* formVisit(request, options).pipe(Effect.provideService(ConsoleSessions, sessions))
          return yield* handler(current, form, request).pipe(
            Effect.catch((error: PageRefused | DomainError) =>
              Effect.succeed(errorPage(error._tag === "PageRefused" ? error : pageFor(error), current)))
          )
        }))

    const routeParam = (name: string) =>
      Effect.flatMap(HttpRouter.params, (params) => {
        const value = params[name]
        return value !== undefined && PASSPORT_ID.test(value) ? Effect.succeed(value) : Effect.fail(pageFor({ _tag: "PassportNotFound" } as DomainError))
      })

    // ---- entry, assets ---------------------------------------------------------------------
    yield* router.add("GET", "/", Effect.succeed(HttpServerResponse.redirect("/console", { status: 302, headers: SECURITY_HEADERS })))

    for (const asset of Object.values(assets)) {
      yield* router.add("GET", asset.path as `/${string}`, Effect.succeed(HttpServerResponse.uint8Array(asset.body, {
        contentType: asset.contentType,
        headers: { ...SECURITY_HEADERS, "cache-control": "public, max-age=31536000, immutable" }
      })))
    }
    yield* router.add("GET", `${ASSET_PREFIX}*`, Effect.succeed(HttpServerResponse.text("Not found", {
      status: 404,
      headers: { ...SECURITY_HEADERS, "cache-control": "no-store" }
    })))

    // ---- sign-in, sign-out -----------------------------------------------------------------
    const loginPage = (next: string, problem: string | undefined, status = 200, retryAfter?: number) => {
      const loginToken = randomBytes(32).toString("base64url")
      const response = page(view(LoginPage, { assets, next, loginToken, problem }), {
        status,
        ...(retryAfter !== undefined ? { headers: { "retry-after": String(retryAfter) } } : {})
      })
      return HttpServerResponse.setCookieUnsafe(response, LOGIN_COOKIE, loginToken, {
        httpOnly: true,
        sameSite: "strict",
        path: "/console/login",
        secure,
        maxAge: `${LOGIN_CSRF_SECONDS} seconds`
      })
    }

    yield* router.add("GET", "/console/login", (request) =>
      Effect.succeed(loginPage(safeNext(requestUrl(request).searchParams.get("next")), undefined)))

    yield* router.add("POST", "/console/login", (request) =>
      guard(Effect.gen(function*() {
        const form = yield* readForm(request).pipe(Effect.mapError(() => badRequest("The form could not be read.")))
        const next = safeNext(field(form, "next"))
        // A browser always sends Origin on a form post; one from another site must not sign
        // the visitor in to an account of the attacker's choosing (login CSRF).
        if (!isSameOrigin(request.headers["origin"], { publicUrl: options.publicUrl, local: localEndpoint(request) })) {
          return loginPage(next, "Sign in from this console's own address.", 403)
        }
        const presented = field(form, "_login") ?? ""
        const expected = request.cookies[LOGIN_COOKIE] ?? ""
        if (expected === "" || !sameBytes(presented, expected)) {
          return loginPage(next, "The sign-in form had expired; please try again.", 403)
        }
        const email = field(form, "email") ?? ""
        const password = field(form, "password") ?? ""
        if (email.length > 320 || password.length > 1024) return loginPage(next, "Email or password is wrong.", 401)
        const outcome = yield* sessions.signIn({
          email,
          password: Redacted.make(password),
          remoteAddress: Option.getOrUndefined(request.remoteAddress)
        }).pipe(
          Effect.map((signedIn) => ({ _tag: "SignedIn" as const, signedIn })),
          Effect.catchTags({
            LoginFailed: () => Effect.succeed({ _tag: "Failed" as const }),
            LoginThrottled: (throttled) => Effect.succeed({ _tag: "Throttled" as const, retryAfterSeconds: throttled.retryAfterSeconds })
          })
        )
        switch (outcome._tag) {
          case "Failed":
            return loginPage(next, "Email or password is wrong.", 401)
          case "Throttled":
            return loginPage(next, `Too many failed sign-ins; try again in ${outcome.retryAfterSeconds} seconds.`, 429, outcome.retryAfterSeconds)
          case "SignedIn": {
            const response = HttpServerResponse.setCookieUnsafe(seeOther(next), SESSION_COOKIE, Redacted.value(outcome.signedIn.secret), {
              ...cookieAttributes,
              maxAge: `${Math.floor(sessionPolicy.sessionAbsoluteTimeoutMs / 1000)} seconds`
            })
            return HttpServerResponse.expireCookieUnsafe(response, LOGIN_COOKIE, { path: "/console/login", secure })
          }
        }
      })))

    yield* router.add("POST", "/console/logout", signedInPost((current) =>
      sessions.signOut(current.signedIn.session).pipe(
        Effect.map(() => HttpServerResponse.expireCookieUnsafe(seeOther("/console/login"), SESSION_COOKIE, cookieAttributes))
      )))

    // ---- overview --------------------------------------------------------------------------
    yield* router.add("GET", "/console", signedInPage((current) =>
      Effect.map(overviews.workspace(current.reader, { days: 30 }), (overview) =>
        render(view(OverviewPage, { visit: current, assets, overview })))))

    // ---- passports -------------------------------------------------------------------------
    const filtersOf = (url: URL): { readonly values: FilterValues; readonly query: PassportFilters } | PageRefused => {
      const values: Record<string, string> = {}
      for (const name of filterFields) {
        const value = url.searchParams.get(name)?.trim()
        if (value !== undefined && value !== "") values[name] = value
      }
      const verdict = values["verdict"] === undefined ? undefined : decodeVerdict(values["verdict"])
      const mode = values["mode"] === undefined ? undefined : decodeMode(values["mode"])
      if (values["verdict"] !== undefined && verdict === undefined) return badRequest("Unknown verdict filter.")
      if (values["mode"] !== undefined && mode === undefined) return badRequest("Unknown mode filter.")
      let since: string | undefined
      if (values["since"] !== undefined) {
        const text = /^\d{4}-\d{2}-\d{2}$/.test(values["since"]) ? `${values["since"]}T00:00:00Z` : values["since"]
        if (Number.isNaN(Date.parse(text))) return badRequest("The since filter must be a date (YYYY-MM-DD).")
        since = new Date(text).toISOString()
      }
      for (const name of ["service", "namespace", "environment"] as const) {
        if ((values[name]?.length ?? 0) > 200) return badRequest(`The ${name} filter is too long.`)
      }
      return {
        values,
        query: { service: values["service"], namespace: values["namespace"], environment: values["environment"], verdict, mode, since }
      }
    }

    yield* router.add("GET", "/console/passports", signedInPage((current) =>
      Effect.gen(function*() {
        const filters = filtersOf(current.url)
        if (filters instanceof PageRefused) return yield* filters
        const cursor = current.url.searchParams.get("cursor") ?? undefined
        const listed = yield* passports.list(current.reader, { ...filters.query, limit: 50, cursor })
        return render(view(PassportsPage, { visit: current, assets, page: listed, filters: filters.values, cursor }))
      })))

    yield* router.add("GET", "/console/passports/:id", signedInPage((current) =>
      Effect.gen(function*() {
        const id = yield* routeParam("id")
        const passport = yield* passports.detail(current.reader, id)
        return render(view(PassportDetailPage, { visit: current, assets, passport }))
      })))

    const backToPassport = (current: Visit, id: string) => seeOther(`${href(current, `/console/passports/${encodeURIComponent(id)}`)}#comments`)

    yield* router.add("POST", "/console/passports/:id/comments", signedInPost((current, form) =>
      Effect.gen(function*() {
        yield* requireRole(current, "member")
        const id = yield* routeParam("id")
        const input = decodeComment({ body: field(form, "body") ?? "" })
        if (input === undefined) return yield* badRequest("A comment needs 1 to 4000 characters.")
        yield* comments.add(current.reader, { passportId: id, body: input.body })
        return backToPassport(current, id)
      })))

    yield* router.add("POST", "/console/passports/:id/comments/:commentId/delete", signedInPost((current) =>
      Effect.gen(function*() {
        yield* requireRole(current, "member")
        const id = yield* routeParam("id")
        const commentId = yield* routeParam("commentId")
        yield* comments.remove(current.reader, { passportId: id, commentId })
        return backToPassport(current, id)
      })))

    // ---- integrations ----------------------------------------------------------------------
    const integrationsPage = (current: Visit, problem: string | undefined, status = 200) =>
      Effect.map(integrations.list(current.membership.workspace.id), (list) =>
        render(view(IntegrationsPage, { visit: current, assets, list, problem }), status))

    yield* router.add("GET", "/console/integrations", signedInPage((current) => integrationsPage(current, undefined)))

    yield* router.add("POST", "/console/integrations", signedInPost((current, form) =>
      Effect.gen(function*() {
        yield* requireRole(current, "admin")
        const source = decodeSource(field(form, "source")?.trim() ?? "")
        const minutesText = field(form, "intervalMinutes")?.trim() ?? ""
        const minutes = minutesText === "" ? null : Number(minutesText)
        const displayName = field(form, "displayName")?.trim() ?? ""
        const environments = (field(form, "environments") ?? "").split(",").map((e) => e.trim()).filter((e) => e !== "")
        const input = decodeConnector({
          displayName: displayName === "" ? null : displayName,
          expectedIntervalSeconds: minutes === null ? null : minutes * 60,
          environments
        })
        if (source === undefined || input === undefined) {
          return yield* integrationsPage(current, "Not declared: check the source name, the interval (whole minutes, up to 30 days) and the environments.", 400)
        }
        yield* integrations.declare({
          workspaceId: current.membership.workspace.id,
          source,
          displayName: input.displayName ?? null,
          expectedIntervalSeconds: input.expectedIntervalSeconds ?? null,
          environments: input.environments ?? []
        })
        return seeOther(href(current, "/console/integrations"))
      })))

    // ---- tokens (admins) -------------------------------------------------------------------
    const tokensPage = (current: Visit, created: { readonly name: string; readonly value: string } | undefined, problem: string | undefined, status = 200) =>
      Effect.map(tokens.list(current.membership.workspace.id), (list) =>
        render(view(TokensPage, { visit: current, assets, tokens: list, created, problem }), status))

    /** The token made by the POST just before, if this browser's session sealed it for this workspace. */
    const justCreated = (current: Visit, request: HttpServerRequest.HttpServerRequest) => {
      const sealed = request.cookies[NEW_TOKEN_COOKIE]
      if (sealed === undefined) return undefined
      const opened = openForSession(request.cookies[SESSION_COOKIE] ?? "", NEW_TOKEN_PURPOSE, sealed)
      if (opened === undefined) return undefined
      const value = JSON.parse(opened) as { workspaceId: string; name: string; value: string; until: number }
      return value.workspaceId === current.membership.workspace.id && value.until > current.now
        ? { name: value.name, value: value.value }
        : undefined
    }

    yield* router.add("GET", TOKENS_PATH, signedInPage((current, request) =>
      Effect.gen(function*() {
        yield* requireRole(current, "admin")
        const response = yield* tokensPage(current, justCreated(current, request), undefined)
        // Shown once: a reload, the back button or another tab finds nothing to show.
        return request.cookies[NEW_TOKEN_COOKIE] === undefined
          ? response
          : HttpServerResponse.expireCookieUnsafe(response, NEW_TOKEN_COOKIE, { path: TOKENS_PATH, secure })
      })))

    yield* router.add("POST", TOKENS_PATH, signedInPost((current, form, request) =>
      Effect.gen(function*() {
        yield* requireRole(current, "admin")
        const daysText = field(form, "expiresInDays")?.trim() ?? ""
        const input = decodeToken({
          name: field(form, "name")?.trim() ?? "",
          scopes: fields(form, "scopes"),
          ...(daysText === "" ? {} : { expiresInDays: Number(daysText) })
        })
        if (input === undefined) {
          return yield* tokensPage(current, undefined, "Not created: a token needs a name (up to 100 characters), at least one scope and 1 to 366 days.", 400)
        }
        const created = yield* tokens.create({
          workspaceId: current.membership.workspace.id,
          name: input.name,
          scopes: input.scopes,
          expiresInDays: input.expiresInDays
        })
        // Post/Redirect/Get, so that a reload cannot make a second token. The value rides to the
        // GET sealed for this session in a cookie only the tokens page receives, never in the URL
        // (history, logs, Referer) nor on the server (any replica may serve the GET).
        const sealed = sealForSession(request.cookies[SESSION_COOKIE] ?? "", NEW_TOKEN_PURPOSE, JSON.stringify({
          workspaceId: current.membership.workspace.id,
          name: created.token.name,
          value: Redacted.value(created.value),
          until: current.now + NEW_TOKEN_SECONDS * 1000
        }))
        return HttpServerResponse.setCookieUnsafe(seeOther(href(current, TOKENS_PATH)), NEW_TOKEN_COOKIE, sealed, {
          httpOnly: true,
          sameSite: "strict",
          path: TOKENS_PATH,
          secure,
          maxAge: `${NEW_TOKEN_SECONDS} seconds`
        })
      })))

    yield* router.add("POST", "/console/tokens/:id/revoke", signedInPost((current) =>
      Effect.gen(function*() {
        yield* requireRole(current, "admin")
        const id = yield* routeParam("id")
        yield* tokens.revoke({ workspaceId: current.membership.workspace.id, id })
        return seeOther(href(current, "/console/tokens"))
      })))

    // ---- reports ---------------------------------------------------------------------------
    yield* router.add("GET", "/console/reports", signedInPage((current) =>
      Effect.gen(function*() {
        const query = current.url.searchParams
        const filters = Object.fromEntries(
          reportFilterFields.map((name) => [name, (query.get(name) ?? "").trim().slice(0, 200)])
        ) as unknown as ReportFilterValues
        // Date inputs send a day; the window runs from its start to the end of the until day.
        const asTime = (value: string, endOfDay: boolean) =>
          /^\d{4}-\d{2}-\d{2}$/.test(value)
            ? new Date(Date.parse(`${value}T00:00:00Z`) + (endOfDay ? 86_400_000 : 0)).toISOString()
            : value === "" ? undefined : value
        const report = yield* reports.impact(current.membership.workspace.id, {
          since: asTime(filters.since, false),
          until: asTime(filters.until, true),
          ...(filters.environment !== "" ? { environment: filters.environment } : {}),
          ...(filters.service !== "" ? { service: filters.service } : {}),
          ...(filters.namespace !== "" ? { namespace: filters.namespace } : {})
        })
        return render(view(ReportsPage, { visit: current, assets, report, filters }))
      })))

    // ---- policies (admins, as GET /policies) ----------------------------------------------------
    yield* router.add("GET", "/console/policies", signedInPage((current) =>
      Effect.gen(function*() {
        yield* requireRole(current, "admin")
        const workspaceId = current.membership.workspace.id
        const overview = yield* policies.overview(workspaceId)
        const report = overview.candidate === null && overview.history.length === 0
          ? undefined
          : yield* policies.candidateReport({ workspaceId, since: new Date(current.now - CANDIDATE_WINDOW_DAYS * 86_400_000) })
        return render(view(PoliciesPage, { visit: current, assets, policies: overview, report, days: CANDIDATE_WINDOW_DAYS }))
      })))

    /** The same switch as the API's, recorded with the signed-in user as who made it. */
    const pointTo = (kind: "active" | "candidate") =>
      signedInPost((current, form) =>
        Effect.gen(function*() {
          yield* requireRole(current, "admin")
          const digest = field(form, "digest") ?? ""
          if (!BUNDLE_DIGEST.test(digest)) return yield* badRequest("That is not a bundle digest of this workspace.")
          yield* policies.point({ workspaceId: current.membership.workspace.id, kind, digest, actor: userActor(current.signedIn.user.id) }).pipe(
            Effect.catchTag("PolicyBundleNotFound", () => Effect.fail(notFound()))
          )
          return seeOther(href(current, "/console/policies"))
        }))
    yield* router.add("POST", "/console/policies/activate", pointTo("active"))
    yield* router.add("POST", "/console/policies/candidate", pointTo("candidate"))
    yield* router.add("POST", "/console/policies/candidate/clear", signedInPost((current) =>
      Effect.gen(function*() {
        yield* requireRole(current, "admin")
        yield* policies.clearCandidate({ workspaceId: current.membership.workspace.id, actor: userActor(current.signedIn.user.id) })
        return seeOther(href(current, "/console/policies"))
      })))

    // ---- license ---------------------------------------------------------------------------
    yield* router.add("GET", "/console/license", signedInPage((current) =>
      Effect.map(licenses.status({ workspaceId: current.membership.workspace.id }), (license) =>
        render(view(LicensePage, { visit: current, assets, license })))))
  }))
