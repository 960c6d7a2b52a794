import type { EvidenceBatch, GateRequest } from "@releasepassport/core"
import { adapterChoices, cliOk, createToken, evidenceBatchFor, passingGateRequest, rawPost, startServer } from "@releasepassport/testing"
import type { RunningServer, TestDatabase } from "@releasepassport/testing"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { hasChromium, launchChromium, openCheckedPage, signInWithForm } from "./support/browser.ts"

/**
 * The web console in a real browser (Debian's Chromium driven by playwright-core), against the
 * built server, with data made through the public API. Every page visited is checked for
 * console errors, CSP violations and serious or critical accessibility violations.
 */
const PASSWORD = "correct horse battery staple"
const ROLES = ["owner", "admin", "member", "viewer"] as const
type Role = (typeof ROLES)[number]

const SCRIPT = "<script>window.__pwned = 1</script>"
const IMG = "\"><img src=x onerror=\"window.__pwned = 2\">"

const sqlite = (await adapterChoices()).find((choice) => choice.adapter === "sqlite")

describe.skipIf(sqlite === undefined || !hasChromium())("the web console in Chromium", () => {
  let testDb: TestDatabase
  let server: RunningServer
  let browser: Browser
  let token: string
  let betaPassportId: string
  /** The rules the one shadow evaluation would have blocked on: what the impact report must show. */
  let shadowCodes: Array<string> = []
  const ids = {} as { blocked: string; passing: string; hostile: string; shadow: string }
  let passingRequest: GateRequest
  /** What the gate answered, per environment and verdict: what the overview must count. */
  const expected: Record<string, Record<string, number>> = {}

  const gate = async (request: GateRequest, bearer = token) => {
    const answer = await rawPost(`${server.url}/releasepassport/v1/gate/evaluate`, JSON.stringify(request), { authorization: `Bearer ${bearer}` })
    expect(answer.status, answer.text).toBe(200)
    const decided = answer.json as { passportId: string; verdict: string; blockers: Array<{ code: string }> }
    if (bearer === token) {
      const env = (expected[request.service.environment] ??= { pass: 0, warn: 0, fail: 0, error: 0 })
      env[decided.verdict] = (env[decided.verdict] ?? 0) + 1
    }
    return decided
  }
  const ingest = async (request: GateRequest, externalId: string, evidence: EvidenceBatch["evidence"]) => {
    const batch = evidenceBatchFor(request, externalId, evidence)
    const answer = await rawPost(`${server.url}/releasepassport/v1/evidence/ingest`, JSON.stringify(batch), { authorization: `Bearer ${token}` })
    expect(answer.status, answer.text).toBe(200)
  }

  beforeAll(async () => {
    testDb = await sqlite!.create()
    const run = (args: Array<string>, input?: string) => cliOk([...args, "--database", testDb.url], input)
    await run(["migrate"])
    await run(["workspace", "create", "--slug", "alpha", "--name", "Alpha"])
    await run(["workspace", "create", "--slug", "beta", "--name", "Beta"])
    for (const role of ROLES) {
      await run(["user", "create", "--email", `${role}@alpha.example.com`, "--workspace", "alpha", "--role", role], `${PASSWORD}\n`)
    }
    await run(["user", "create", "--email", "owner@beta.example.com", "--workspace", "beta", "--role", "owner"], `${PASSWORD}\n`)
    // Beta's owner also reads alpha: a user in two workspaces, for the switcher.
    await run(["user", "add", "--email", "owner@beta.example.com", "--workspace", "alpha", "--role", "viewer"])
    token = (await createToken(testDb.url, "--workspace", "alpha", "--scope", "gate:evaluate", "--scope", "evidence:ingest")).value
    const betaToken = (await createToken(testDb.url, "--workspace", "beta", "--scope", "gate:evaluate")).value
    server = await startServer({ database: testDb.url })

    // alpha: production needs a passed smoke. One release blocked on a failed smoke (enforce),
    // one passing in staging, one in shadow that enforce would block, one with hostile names.
    const blocked = passingGateRequest({ service: { name: "payments-api", namespace: "apps", environment: "production" } })
    await ingest(blocked, "run-1", [{ type: "smoke", status: "failed", summary: "smoke failed: 3 of 40 checks" }])
    ids.blocked = (await gate(blocked)).passportId
    passingRequest = passingGateRequest({ service: { name: "search-api", namespace: "apps", environment: "staging" } })
    ids.passing = (await gate(passingRequest)).passportId
    const shadow = await gate(passingGateRequest({ mode: "shadow", service: { name: "cart-api", namespace: "apps", environment: "production" } }))
    ids.shadow = shadow.passportId
    shadowCodes = shadow.blockers.map((blocker) => blocker.code)
    const hostile = passingGateRequest({ service: { name: `svc${SCRIPT}`, namespace: `ns${IMG}`, environment: "staging" } })
    await ingest(hostile, "scan-1", [
      { type: "vuln-scan", status: "warning", summary: `found ${SCRIPT} and ${IMG}`, details: { note: "private-note-7f3a" }, private: true }
    ])
    ids.hostile = (await gate(hostile)).passportId
    betaPassportId = (await gate(passingGateRequest(), betaToken)).passportId

    browser = await launchChromium()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    await testDb?.drop()
  })

  const open = () => openCheckedPage(browser, server.url)

  const signIn = (page: Page, role: Role | "beta") =>
    signInWithForm(page, role === "beta" ? "owner@beta.example.com" : `${role}@alpha.example.com`, PASSWORD)

  const sessionCookie = async (context: BrowserContext) =>
    (await context.cookies()).find((cookie) => cookie.name === "releasepassport_session")

  it("GET / redirects to the console, which asks for a sign-in; a wrong password gets the generic answer", async () => {
    const root = await fetch(`${server.url}/`, { redirect: "manual" })
    expect(root.status).toBe(302)
    expect(root.headers.get("location")).toBe("/console")
    const { context, page, check, go } = await open()
    const response = await go("/console")
    expect(new URL(page.url()).pathname).toBe("/console/login")
    expect(response?.headers()["content-security-policy"]).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    expect(response?.headers()["x-content-type-options"]).toBe("nosniff")
    expect(response?.headers()["referrer-policy"]).toBe("same-origin")
    await check()
    await page.getByLabel("Email").fill("owner@alpha.example.com")
    await page.getByLabel("Password").fill("wrong password")
    await page.getByRole("button", { name: "Sign in" }).click()
    await expect.poll(() => page.getByTestId("login-problem").textContent()).toBe("Email or password is wrong.")
    // Unknown account: word for word the same.
    await page.getByLabel("Email").fill("nobody@alpha.example.com")
    await page.getByLabel("Password").fill(PASSWORD)
    await page.getByRole("button", { name: "Sign in" }).click()
    await expect.poll(() => page.getByTestId("login-problem").textContent()).toBe("Email or password is wrong.")
    expect(await sessionCookie(context)).toBeUndefined()
    await context.close()
  })

  it("a sign-in posted from another site is refused (login CSRF)", async () => {
    const answer = await fetch(`${server.url}/console/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: "https://evil.example" },
      body: new URLSearchParams({ email: "owner@alpha.example.com", password: PASSWORD, _login: "x" }).toString()
    })
    expect(answer.status).toBe(403)
    expect(answer.headers.get("set-cookie") ?? "").not.toContain("releasepassport_session=")
  })

  it("assets are content-addressed and cached for a year", async () => {
    const login = await (await fetch(`${server.url}/console/login`)).text()
    const paths = [...login.matchAll(/(?:href|src)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]!)
    expect(paths.length).toBeGreaterThanOrEqual(3)
    for (const path of paths) {
      expect(path).toMatch(/\.[0-9a-f]{16}\.(js|css)$/)
      const asset = await fetch(`${server.url}${path}`)
      expect(asset.status).toBe(200)
      expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable")
      await asset.arrayBuffer()
    }
    expect((await fetch(`${server.url}/console/assets/console.0000000000000000.js`)).status).toBe(404)
  })

  it("owner: overview counts, filters, a blocked passport with remediation and evidence, comments, tokens, integrations, logout", async () => {
    const { context, page, check, go } = await open()
    await signIn(page, "owner")
    expect(await page.getByTestId("signed-in-as").textContent()).toContain("(owner)")
    await check()

    // Overview: latest verdicts per environment, as the gate answered them.
    const cell = (environment: string, verdict: string) =>
      page.locator(`[data-testid=verdict-counts] tr[data-environment="${environment}"] td[data-verdict="${verdict}"]`).textContent()
    expect(expected["production"]!["fail"]).toBe(2)
    for (const [environment, counts] of Object.entries(expected)) {
      for (const [verdict, count] of Object.entries(counts)) expect(await cell(environment, verdict)).toBe(String(count))
    }
    const attention = await page.getByTestId("attention-item").allTextContents()
    expect(attention).toHaveLength(2)
    expect(attention.some((text) => text.includes("payments-api") && text.includes("blocked under enforce"))).toBe(true)
    expect(attention.some((text) => text.includes("cart-api") && text.includes("enforce would block"))).toBe(true)
    const today = new Date().toISOString().slice(0, 10)
    const todayRow = await page.locator("[data-testid=per-day] tr", { hasText: today }).locator("td").allTextContents()
    const sum = (verdict: string) => String(Object.values(expected).reduce((n, counts) => n + (counts[verdict] ?? 0), 0))
    expect(todayRow).toEqual(["pass", "warn", "fail", "error"].map(sum))
    expect(await page.locator("[data-testid=per-day] tbody tr").count()).toBe(30)

    // The list, filtered in the URL (htmx swaps the list; the URL follows).
    await go("/console/passports")
    expect(await page.getByTestId("passport-row").count()).toBe(4)
    await check()
    await page.getByLabel("Verdict").selectOption("fail")
    await page.getByLabel("Mode").selectOption("enforce")
    await page.getByRole("button", { name: "Filter" }).click()
    await page.waitForURL(/verdict=fail/)
    await expect.poll(() => page.getByTestId("passport-row").count()).toBe(1)
    expect(new URL(page.url()).searchParams.get("mode")).toBe("enforce")
    // The same URL without JavaScript's help gives the same list.
    await go(new URL(page.url()).pathname + new URL(page.url()).search)
    expect(await page.getByTestId("passport-row").count()).toBe(1)
    await page.getByRole("link", { name: "payments-api" }).click()
    await page.waitForURL(`**/console/passports/${ids.blocked}`)

    // Detail: the blocker, its remediation and a link to the evidence it rests on.
    const blockers = page.getByTestId("blocker")
    expect(await blockers.count()).toBeGreaterThan(0)
    const blockerText = (await blockers.allTextContents()).join("\n")
    expect(blockerText).toContain("Remediation:")
    expect(await page.getByTestId("evidence-row").count()).toBe(1)
    expect(await page.getByTestId("evidence-row").textContent()).toContain("smoke failed: 3 of 40 checks")
    const evidenceLink = page.locator(".evidence-link").first()
    expect(await evidenceLink.getAttribute("href")).toMatch(/^#evidence-/)
    await check()

    // Comments: post (htmx) and delete; hostile text stays text.
    await page.getByLabel("Add a comment").fill(`rollback plan ${SCRIPT} ${IMG}`)
    await page.getByRole("button", { name: "Post comment" }).click()
    await expect.poll(() => page.getByTestId("comment").count()).toBe(1)
    expect(await page.locator(".comment-body").textContent()).toBe(`rollback plan ${SCRIPT} ${IMG}`)
    expect(await page.locator("#comments img").count()).toBe(0)
    await check()
    await page.getByRole("button", { name: "Delete comment" }).click()
    await expect.poll(() => page.getByTestId("comment").count()).toBe(0)

    // Tokens: create, the value once, revoke.
    await go("/console/tokens")
    await page.getByLabel("Name").fill("deploy-bot")
    await page.getByLabel("gate:evaluate").check()
    const [created] = await Promise.all([
      page.waitForResponse((answer) => answer.request().method() === "POST" && new URL(answer.url()).pathname === "/console/tokens"),
      page.getByRole("button", { name: "Create token" }).click()
    ])
    // Post/Redirect/Get: the value is shown by the GET after a 303, and never travels in a URL.
    expect(created.status()).toBe(303)
    await page.waitForURL("**/console/tokens")
    const value = await page.getByTestId("new-token-value").textContent()
    expect(value).toMatch(/^rp_[0-9A-Za-z]{49}$/)
    expect(created.headers()["location"]).not.toContain(value!)
    expect(page.url()).not.toContain(value!)
    await check()
    // The value was carried sealed, and the page that showed it dropped it.
    expect((await context.cookies()).some((cookie) => cookie.value.includes(value!))).toBe(false)
    expect((await context.cookies()).map((cookie) => cookie.name)).not.toContain("releasepassport_new_token")
    // A reload is a GET: no second token, and the value is not shown again.
    await page.reload()
    await page.waitForLoadState("load")
    expect(await page.content()).not.toContain(value!)
    expect(await page.getByTestId("new-token-value").count()).toBe(0)
    expect(await page.getByTestId("token-row").filter({ hasText: "deploy-bot" }).count()).toBe(1)
    await go("/console/tokens")
    expect(await page.content()).not.toContain(value!)
    const row = page.getByTestId("token-row").filter({ hasText: "deploy-bot" })
    expect(await row.getByTestId("token-state").textContent()).toBe("active")
    await row.getByRole("button", { name: "Revoke deploy-bot" }).click()
    await page.waitForLoadState("load")
    expect(await page.getByTestId("token-row").filter({ hasText: "deploy-bot" }).getByTestId("token-state").textContent()).toBe("revoked")
    const refused = await rawPost(`${server.url}/releasepassport/v1/gate/evaluate`, JSON.stringify(passingGateRequest()), { authorization: `Bearer ${value}` })
    expect(refused.status).toBe(401)

    // Integrations: the connector that reported, and one declared here.
    await go("/console/integrations")
    expect(await page.getByTestId("connector-row").filter({ hasText: "github_actions" }).count()).toBe(1)
    await page.getByLabel("Source (as its evidence names it)").fill("argo_rollouts")
    await page.getByLabel("Display name").fill("Argo Rollouts")
    await page.getByLabel("Expected interval (minutes)").fill("30")
    await page.getByRole("button", { name: "Declare connector" }).click()
    await page.waitForLoadState("load")
    expect(await page.getByTestId("connector-row").filter({ hasText: "Argo Rollouts" }).textContent()).toContain("never seen")
    await check()

    await go("/console/license")
    expect(await page.getByTestId("license-status").textContent()).toBe("community")
    await check()

    // Logout: the old cookie is refused by the console and by the API.
    const old = await sessionCookie(context)
    expect(old).toBeDefined()
    await page.getByRole("button", { name: "Sign out" }).click()
    await page.waitForURL("**/console/login")
    const cookie = `releasepassport_session=${old!.value}`
    const consoleAnswer = await fetch(`${server.url}/console`, { headers: { cookie }, redirect: "manual" })
    expect(consoleAnswer.status).toBe(303)
    expect(consoleAnswer.headers.get("location")).toContain("/console/login")
    const apiAnswer = await fetch(`${server.url}/releasepassport/v1/auth/session`, { headers: { cookie } })
    expect(apiAnswer.status).toBe(401)
    await context.close()
  }, 90_000)

  it("the evidence timeline measures each version's age against the policy's maximum and marks the stale ones", async () => {
    const old = new Date(Date.now() - 3 * 86_400_000 - 60_000).toISOString()
    await ingest(passingRequest, "lint-old", [{ type: "lint", status: "passed", summary: "lint from three days ago", observedAt: old }])
    await ingest(passingRequest, "lint-new", [{ type: "lint", status: "passed", summary: "lint just now" }])
    const { context, page, check, go } = await open()
    await signIn(page, "viewer")
    await go(`/console/passports/${ids.passing}`)
    // The shipped policy's default: one day; staging sets none of its own.
    expect(await page.getByTestId("evidence-max-age").textContent()).toBe("Ages are measured against the policy's maximum evidence age of 1 d (for staging).")
    const row = (summary: string) => page.getByTestId("evidence-row").filter({ hasText: summary })
    expect(await row("lint from three days ago").getByTestId("evidence-age").textContent()).toBe("3 d of 1 d max ⏱ stale")
    expect(await row("lint from three days ago").getByTestId("evidence-stale").isVisible()).toBe(true)
    expect(await row("lint just now").getByTestId("evidence-age").textContent()).toMatch(/^\d+ (s|min) of 1 d max$/)
    expect(await row("lint just now").getByTestId("evidence-stale").count()).toBe(0)
    await check()
    await context.close()
  })

  it("the overview refreshes in place every minute, with the new numbers and the chart drawn again", async () => {
    const { context, page, check } = await open()
    // The page's own timers, on a clock the test moves: the real `every 60s`, not a stand-in.
    await page.clock.install()
    await signIn(page, "viewer")
    const chart = page.locator("#verdicts-chart .uplot canvas")
    await expect.poll(() => chart.count()).toBe(1)
    const today = new Date().toISOString().slice(0, 10)
    const passedToday = async () => Number(await page.locator("[data-testid=per-day] tr", { hasText: today }).locator("td").first().textContent())
    const before = await passedToday()
    await page.evaluate(() => { (document.getElementById("overview-live") as unknown as { stale?: boolean }).stale = true })
    expect((await gate(passingRequest)).verdict).toBe("pass")

    await page.clock.fastForward(61_000)
    await expect.poll(() => page.evaluate(() => {
      const live = document.getElementById("overview-live") as unknown as { stale?: boolean } | null
      return live !== null && live.stale === undefined
    })).toBe(true)
    expect(await passedToday()).toBe(before + 1)
    await expect.poll(() => chart.count()).toBe(1)
    expect(await page.locator("#overview-live #verdicts-chart .uplot").count()).toBe(1)
    await check()
    await context.close()
  })

  it("reports: shadow impact by rule (table and chart), downloads for the window, a report link on passports", async () => {
    const { context, page, check, go } = await open()
    await signIn(page, "admin")
    await go("/console/reports")
    await check()
    expect(shadowCodes.length).toBeGreaterThan(0)
    for (const code of shadowCodes) {
      const row = page.locator(`[data-testid="impact-by-rule"] tr[data-rule="${code}"]`)
      await expect.poll(() => row.count()).toBe(1)
      expect(await row.locator("td").first().textContent()).toBe("1")
      expect(await row.locator(`a[href*="${ids.shadow}"]`).count()).toBe(1)
    }
    // The enforce block of the same window is reported beside it, never as "would block".
    expect(await page.getByTestId("enforce-summary").textContent()).toMatch(/1 blocked/)
    expect(await page.locator("#impact-chart canvas").count()).toBe(1)
    const csv = await page.getByTestId("download-csv").getAttribute("href")
    const answer = await context.request.get(csv!)
    expect(answer.status()).toBe(200)
    expect(await answer.text()).toContain(ids.shadow)
    expect(await page.getByTestId("download-audit-pack").count()).toBe(1)
    await go(`/console/passports/${ids.blocked}`)
    const report = await context.request.get((await page.getByTestId("passport-report").getAttribute("href"))!)
    expect(report.status()).toBe(200)
    expect(await report.text()).toContain("payments-api")
    await context.close()
  })

  it("escapes service names and evidence from pipelines; private details stay hidden from viewers", async () => {
    for (const role of ["owner", "viewer"] as const) {
      const { context, page, check, go } = await open()
      await signIn(page, role)
      await go(`/console/passports/${ids.hostile}`)
      expect(await page.getByTestId("service-name").textContent()).toBe(`svc${SCRIPT}`)
      expect(await page.getByTestId("evidence-row").textContent()).toContain(`found ${SCRIPT} and ${IMG}`)
      expect(await page.locator("main img").count()).toBe(0)
      if (role === "viewer") {
        expect(await page.getByTestId("details-hidden").count()).toBe(1)
        expect(await page.content()).not.toContain("private-note-7f3a")
      } else {
        expect(await page.content()).toContain("private-note-7f3a")
      }
      await check()
      await go("/console/passports")
      expect(await page.locator("main img").count()).toBe(0)
      expect(await page.getByTestId("passport-row").getByRole("link", { name: `svc${SCRIPT}`, exact: true }).count()).toBe(1)
      await check()
      await context.close()
    }
  }, 60_000)

  it("another workspace's passport is the same 404 page as a missing one", async () => {
    const { context, page, check, go } = await open()
    await signIn(page, "owner")
    const foreign = await go(`/console/passports/${betaPassportId}`)
    const foreignText = await page.locator("main").textContent()
    const missing = await go("/console/passports/pp_doesnotexist")
    expect(foreign?.status()).toBe(404)
    expect(missing?.status()).toBe(404)
    expect(await page.locator("main").textContent()).toBe(foreignText)
    await check({ status: 404 })
    await context.close()
  })

  for (const role of ROLES) {
    it(`${role}: sees only the actions the role may take, and the server refuses the rest`, async () => {
      const { context, page, check, go } = await open()
      await signIn(page, role)
      expect(await page.getByTestId("signed-in-as").textContent()).toContain(`(${role})`)
      const admin = role === "owner" || role === "admin"
      const member = admin || role === "member"
      expect(await page.getByRole("link", { name: "Tokens" }).count()).toBe(admin ? 1 : 0)

      await go(`/console/passports/${ids.passing}`)
      expect(await page.getByLabel("Add a comment").count()).toBe(member ? 1 : 0)
      await check()
      const csrf = await page.locator("input[name=_csrf]").first().getAttribute("value")
      const post = (path: string, form: Record<string, string>) =>
        page.request.post(path, { form: { _csrf: csrf!, ...form }, headers: { origin: server.url }, maxRedirects: 0 })
      const comment = await post(`/console/passports/${ids.passing}/comments`, { body: `from ${role}` })
      expect(comment.status()).toBe(member ? 303 : 403)
      // Without the CSRF token nothing happens, whatever the role.
      const forged = await page.request.post(`/console/passports/${ids.passing}/comments`, { form: { body: "forged" }, headers: { origin: server.url }, maxRedirects: 0 })
      expect(forged.status()).toBe(403)

      const tokens = await go("/console/tokens")
      expect(tokens?.status()).toBe(admin ? 200 : 403)
      await check(admin ? {} : { status: 403 })
      const created = await post("/console/tokens", { name: `by-${role}`, scopes: "gate:evaluate" })
      expect(created.status()).toBe(admin ? 303 : 403)

      await go("/console/integrations")
      expect(await page.getByRole("button", { name: "Declare connector" }).count()).toBe(admin ? 1 : 0)
      const declared = await post("/console/integrations", { source: `src-${role}` })
      expect(declared.status()).toBe(admin ? 303 : 403)
      await check()

      await go(`/console/passports/${ids.passing}`)
      expect(await page.getByTestId("comment").filter({ hasText: "forged" }).count()).toBe(0)
      expect(await page.getByTestId("comment").filter({ hasText: `from ${role}` }).count()).toBe(member ? 1 : 0)
      await context.close()
    }, 60_000)
  }

  it("a user in two workspaces switches between them; the role shown is the one held there", async () => {
    const { context, page, check, go } = await open()
    await signIn(page, "beta")
    expect(await page.getByTestId("signed-in-as").textContent()).toContain("(viewer)")
    await page.getByLabel("Workspace").selectOption("beta")
    await page.getByRole("button", { name: "Switch" }).click()
    await page.waitForURL(/workspace=beta/)
    expect(await page.getByTestId("signed-in-as").textContent()).toContain("(owner)")
    await check()
    const mine = await go(`/console/passports/${betaPassportId}?workspace=beta`)
    expect(mine?.status()).toBe(200)
    // Links keep the workspace.
    expect(await page.getByRole("link", { name: "Passports" }).getAttribute("href")).toBe("/console/passports?workspace=beta")
    const elsewhere = await go(`/console/passports/${betaPassportId}?workspace=alpha`)
    expect(elsewhere?.status()).toBe(404)
    await check({ status: 404 })
    await context.close()
  })

  it("a post from another origin changes nothing, even with the session's CSRF token", async () => {
    const { context, page, go } = await open()
    await signIn(page, "owner")
    await go(`/console/passports/${ids.shadow}`)
    const csrf = await page.locator("input[name=_csrf]").first().getAttribute("value")
    const answer = await page.request.post(`/console/passports/${ids.shadow}/comments`, {
      form: { _csrf: csrf!, body: "cross-site" },
      headers: { origin: "https://evil.example" },
      maxRedirects: 0
    })
    expect(answer.status()).toBe(403)
    await go(`/console/passports/${ids.shadow}`)
    expect(await page.getByTestId("comment").count()).toBe(0)
    await context.close()
  })

  // Near the end: it adds passports the counts above do not expect.
  it("pages past 50 passports with the cursor, the filters kept in the URL, with and without htmx", async () => {
    const matching = new Set<string>()
    for (let i = 0; i < 53; i++) {
      matching.add((await gate(passingGateRequest({ service: { name: "bulk-api", namespace: "batch", environment: "qa" } }))).passportId)
    }
    // Same service elsewhere: the filter must keep these off every page.
    for (let i = 0; i < 3; i++) await gate(passingGateRequest({ service: { name: "bulk-api", namespace: "batch", environment: "uat" } }))

    const { context, page, check, go } = await open()
    await signIn(page, "viewer")
    const rowIds = () => page.getByTestId("passport-row").locator("td:first-child a").evaluateAll((links) =>
      links.map((link) => (link.getAttribute("href") ?? "").split("/").pop()!.split("?")[0]!))
    await go("/console/passports?service=bulk-api&environment=qa")
    const first = await rowIds()
    expect(first).toHaveLength(50)
    await check()

    await page.getByTestId("next-page").click()
    await page.waitForURL(/cursor=/)
    const url = new URL(page.url())
    expect(url.searchParams.get("service")).toBe("bulk-api")
    expect(url.searchParams.get("environment")).toBe("qa")
    await expect.poll(() => page.getByTestId("passport-row").count()).toBe(3)
    const second = await rowIds()
    expect(new Set([...first, ...second])).toEqual(matching)
    expect(await page.getByTestId("next-page").count()).toBe(0)
    await check()

    // The pushed URL, loaded without htmx, is the same page; "First page" keeps the filters.
    await go(url.pathname + url.search)
    expect(await rowIds()).toEqual(second)
    await page.getByRole("link", { name: "First page" }).click()
    await page.waitForURL((at) => !at.searchParams.has("cursor"))
    expect(new URL(page.url()).searchParams.get("environment")).toBe("qa")
    expect(await rowIds()).toEqual(first)
    await context.close()
  }, 120_000)

  // Last: it locks an account for the rest of the run.
  it("throttled sign-ins get a proper 429 page with Retry-After, even with the right password", async () => {
    const { context, page, check, go } = await open()
    await go("/console/login")
    const attempt = async (password: string) => {
      await page.getByLabel("Email").fill("member@alpha.example.com")
      await page.getByLabel("Password").fill(password)
      const [answer] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/console/login"),
        page.getByRole("button", { name: "Sign in" }).click()
      ])
      await page.waitForLoadState("load")
      return answer
    }
    for (let i = 0; i < 5; i++) expect((await attempt("wrong password")).status()).toBe(401)
    await check({ status: 401 })
    const locked = await attempt(PASSWORD)
    expect(locked.status()).toBe(429)
    const retryAfter = Number(locked.headers()["retry-after"])
    expect(Number.isInteger(retryAfter)).toBe(true)
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(15 * 60)
    expect(await page.getByTestId("login-problem").textContent()).toBe(`Too many failed sign-ins; try again in ${retryAfter} seconds.`)
    // A page like the others: the sign-in form again, the same headers, nothing broken.
    expect(locked.headers()["content-security-policy"]).toContain("script-src 'self'")
    expect(locked.headers()["content-type"]).toBe("text/html; charset=utf-8")
    expect(await page.getByRole("button", { name: "Sign in" }).count()).toBe(1)
    expect(await sessionCookie(context)).toBeUndefined()
    await check({ status: 429 })
    await context.close()
  })
})
