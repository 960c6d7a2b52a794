import { adapterChoices, call, cliOk, createToken, passingGateRequest, rawPost, readAnswer, REPO, signIn, startServer } from "@releasepassport/testing"
import type { RunningServer, TestDatabase } from "@releasepassport/testing"
import { readFileSync } from "node:fs"
import path from "node:path"
import { DatabaseSync } from "node:sqlite"
import type { Browser, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { hasChromium, launchChromium, openCheckedPage, signInWithForm } from "./support/browser.ts"

/**
 * The console's policies page, in Chromium: an admin sees the workspace's bundles, which one
 * decides and which runs in shadow, switches them with the page's forms (the same use case as
 * the API, so the next gate and the recorded history follow), and reads what the candidate
 * would change. A viewer gets neither the page nor its forms, and a forged post changes nothing.
 */
const PASSWORD = "correct horse battery staple"
const SHIPPED = readFileSync(path.join(REPO, "policies/bundle/bundle.tar.gz"))
const FREEZE = readFileSync(path.join(REPO, "test/fixtures/policies/freeze.tar.gz"))

const sqlite = (await adapterChoices()).find((choice) => choice.adapter === "sqlite")

describe.skipIf(sqlite === undefined || !hasChromium())("the console's policies page in Chromium", () => {
  let testDb: TestDatabase
  let server: RunningServer
  let browser: Browser
  let gateToken: string
  let policyToken: string
  let shipped: { digest: string; revision: string }
  let freeze: { digest: string; revision: string }
  let release = 0

  const gate = async (releaseId: string) => {
    const answer = await rawPost(
      `${server.url}/releasepassport/v1/gate/evaluate`,
      JSON.stringify(passingGateRequest({ release: { releaseId, sourceSha: "9f3c8b7", renderedManifestPath: "r.yaml" } })),
      { authorization: `Bearer ${gateToken}` }
    )
    expect(answer.status, answer.text).toBe(200)
    return answer.json as {
      verdict: string
      policy: { revision: string; bundleDigest: string }
      blockers: Array<{ code: string }>
      candidate?: { verdict: string; bundleDigest: string }
    }
  }
  const policies = async () =>
    (await readAnswer(await fetch(`${server.url}/releasepassport/v1/policies`, { headers: { authorization: `Bearer ${policyToken}` } }))).json as {
      active: string | null
      candidate: string | null
      history: Array<{ kind: string; fromDigest: string | null; toDigest: string | null; changedBy: string }>
      loadProblems: Array<{ kind: string; digest: string; reason: string; inPlace: string | null }>
    }
  const upload = async (bytes: Uint8Array) => {
    const answer = await readAnswer(await fetch(`${server.url}/releasepassport/v1/policies/bundles`, {
      method: "PUT",
      body: new Uint8Array(bytes),
      headers: { authorization: `Bearer ${policyToken}`, "content-type": "application/gzip" }
    }))
    expect(answer.status, answer.text).toBeLessThan(300)
    return answer.json.bundle as { digest: string; revision: string }
  }

  beforeAll(async () => {
    testDb = await sqlite!.create()
    const run = (args: Array<string>, input?: string) => cliOk([...args, "--database", testDb.url], input)
    await run(["migrate"])
    await run(["workspace", "create", "--slug", "alpha", "--name", "Alpha"])
    for (const role of ["admin", "viewer"]) {
      await run(["user", "create", "--email", `${role}@alpha.example.com`, "--workspace", "alpha", "--role", role], `${PASSWORD}\n`)
    }
    gateToken = (await createToken(testDb.url, "--workspace", "alpha", "--scope", "gate:evaluate")).value
    policyToken = (await createToken(testDb.url, "--workspace", "alpha", "--scope", "policy:write")).value
    server = await startServer({ database: testDb.url })
    shipped = await upload(SHIPPED)
    freeze = await upload(FREEZE)
    browser = await launchChromium()
  }, 120_000)

  afterAll(async () => {
    await browser?.close()
    await server?.stop()
    await testDb?.drop()
  })

  /** A fresh context signed in as `role`, with every page's problems collected. */
  const signedIn = async (role: "admin" | "viewer") => {
    const checked = await openCheckedPage(browser, server.url)
    await signInWithForm(checked.page, `${role}@alpha.example.com`, PASSWORD)
    return checked
  }

  const roleOf = async (page: Page, revision: string) =>
    (await page.getByTestId("bundle-row").filter({ hasText: revision }).getByTestId("bundle-role").textContent())?.trim()

  it("an admin sees the bundles, makes one the candidate, reads what it would change, activates it, and stops the candidate", async () => {
    const { context, page, check } = await signedIn("admin")
    await page.getByRole("link", { name: "Policies" }).click()
    await page.waitForURL("**/console/policies")
    await expect.poll(() => page.getByTestId("policy-active").textContent()).toContain("the server's default bundle")
    expect(await page.getByTestId("policy-candidate").textContent()).toContain("none")
    expect(await page.getByTestId("bundle-row").count()).toBe(2)
    expect(await roleOf(page, freeze.revision)).toBe("—")
    await check()

    // Candidate: gates keep passing, and the candidate's verdict rides along.
    await page.getByRole("button", { name: `Make candidate ${freeze.revision}` }).click()
    await page.waitForURL("**/console/policies")
    expect(await roleOf(page, freeze.revision)).toBe("candidate")
    expect((await policies()).candidate).toBe(freeze.digest)
    const shadowed = await gate(`frozen-${release++}`)
    expect(shadowed.verdict).toBe("pass")
    expect(shadowed.candidate).toMatchObject({ verdict: "fail", bundleDigest: freeze.digest })
    await gate(`thawed-${release++}`)

    // What switching would change: one of the two evaluations, by the freeze rule.
    await page.reload()
    expect(await page.getByTestId("candidate-summary").textContent()).toContain("1 of 2 evaluations would be decided otherwise")
    expect(await page.getByTestId("new-blocker").textContent()).toContain("release.frozen")
    expect(await page.getByTestId("verdict-flip").count()).toBe(1)
    await check()

    // Activate: the next gate decides with it; the switch is recorded as this user's.
    await page.getByRole("button", { name: `Activate ${freeze.revision}` }).click()
    await page.waitForURL("**/console/policies")
    expect(await roleOf(page, freeze.revision)).toBe("active")
    const decided = await gate(`frozen-${release++}`)
    expect(decided.policy).toMatchObject({ revision: freeze.revision, bundleDigest: freeze.digest })
    expect(decided.verdict).toBe("fail")
    expect(decided.blockers.map((b) => b.code)).toContain("release.frozen")
    const afterActivate = await policies()
    expect(afterActivate.active).toBe(freeze.digest)
    expect(afterActivate.history[0]).toMatchObject({ kind: "active", fromDigest: null, toDigest: freeze.digest, changedBy: expect.stringMatching(/^user:/) })
    expect(await page.getByTestId("policy-change").count()).toBe(afterActivate.history.length)

    // The shipped bundle as candidate, then stopped: gates no longer shadow it.
    await page.getByRole("button", { name: `Make candidate ${shipped.revision}` }).click()
    await page.waitForURL("**/console/policies")
    expect((await gate(`frozen-${release++}`)).candidate).toMatchObject({ verdict: "pass", bundleDigest: shipped.digest })
    await page.getByRole("button", { name: "Stop the candidate" }).click()
    await page.waitForURL("**/console/policies")
    expect(await page.getByTestId("policy-candidate").textContent()).toContain("none")
    expect((await gate(`frozen-${release++}`)).candidate).toBeUndefined()
    const end = await policies()
    expect(end.candidate).toBeNull()
    expect(end.history[0]).toMatchObject({ kind: "candidate", fromDigest: shipped.digest, toDigest: null })
    await check()
    await context.close()
  }, 180_000)

  it("a viewer has no Policies link, gets the 403 page, and a forged post with their own CSRF token changes nothing", async () => {
    const { context, page, check } = await signedIn("viewer")
    expect(await page.getByRole("link", { name: "Policies" }).count()).toBe(0)
    const csrf = await page.locator("input[name=_csrf]").first().inputValue()
    const response = await page.goto("/console/policies")
    expect(response?.status()).toBe(403)
    expect(await page.locator("body").textContent()).not.toContain(freeze.digest)
    await check({ status: 403 })

    const before = await policies()
    for (const [action, digest] of [["activate", shipped.digest], ["candidate", freeze.digest], ["candidate/clear", ""]] as const) {
      const forged = await page.request.post(`/console/policies/${action}`, {
        form: { _csrf: csrf, digest },
        headers: { origin: server.url },
        maxRedirects: 0
      })
      expect(forged.status(), action).toBe(403)
    }
    expect(await policies()).toEqual(before)
    await context.close()
  }, 120_000)

  it("DELETE /policies/candidate with a session: an admin's clears it (as user:), a viewer's or one without the CSRF header changes nothing", async () => {
    const set = await rawPost(`${server.url}/releasepassport/v1/policies/bundles/${encodeURIComponent(freeze.digest)}/candidate`, "", { authorization: `Bearer ${policyToken}` })
    expect(set.status, set.text).toBe(200)
    const before = await policies()
    expect(before.candidate).toBe(freeze.digest)

    const viewer = await signIn(server.url, "viewer@alpha.example.com", PASSWORD)
    const refused = await call(server.url, "DELETE", "/policies/candidate", { session: viewer })
    expect(refused.status, refused.text).toBe(403)
    const admin = await signIn(server.url, "admin@alpha.example.com", PASSWORD)
    const noCsrf = await call(server.url, "DELETE", "/policies/candidate", { session: admin, csrf: null })
    expect(noCsrf.status, noCsrf.text).toBe(403)
    expect(await policies()).toEqual(before)

    const cleared = await call(server.url, "DELETE", "/policies/candidate", { session: admin })
    expect(cleared.status, cleared.text).toBe(200)
    expect(cleared.json.change).toMatchObject({ kind: "candidate", fromDigest: freeze.digest, toDigest: null, changedBy: expect.stringMatching(/^user:/) })
    const after = await policies()
    expect(after.candidate).toBeNull()
    expect(after.history).toHaveLength(before.history.length + 1)
  }, 60_000)

  it("a bundle that stops loading is never half active: the previous one decides, and readyz, GET /policies and the page say why", async () => {
    const pointTo = async (digest: string) => {
      const answer = await rawPost(`${server.url}/releasepassport/v1/policies/bundles/${encodeURIComponent(digest)}/activate`, "", { authorization: `Bearer ${policyToken}` })
      expect(answer.status, answer.text).toBe(200)
    }
    await pointTo(freeze.digest)
    expect((await policies()).loadProblems).toEqual([])
    // The shipped bundle's stored bytes go bad behind the server's back (it is not loaded now).
    const file = new DatabaseSync(testDb.url.replace(/^sqlite:/, ""))
    try {
      file.prepare("UPDATE policy_bundles SET bytes = ? WHERE digest = ?").run(new TextEncoder().encode("not a bundle any more"), shipped.digest)
    } finally {
      file.close()
    }
    await pointTo(shipped.digest)

    const decided = await gate(`frozen-${release++}`)
    expect(decided.policy.bundleDigest).toBe(freeze.digest)
    expect(decided.blockers.map((b) => b.code)).toContain("release.frozen")
    const listed = await policies()
    expect(listed.active).toBe(shipped.digest)
    expect(listed.loadProblems).toEqual([{ kind: "active", digest: shipped.digest, reason: expect.stringMatching(/\S/), inPlace: freeze.digest }])
    const listedByCli = (await cliOk(["policy", "list", "--url", server.url, "--token", policyToken])).stdout
    expect(listedByCli).toContain(`not loaded on this server: active ${shipped.digest}: ${listed.loadProblems[0]!.reason} (deciding instead: ${freeze.digest})`)
    const ready = await readAnswer(await fetch(`${server.url}/releasepassport/v1/readyz`))
    expect(ready.status).toBe(200)
    expect(ready.json.policy.workspaceProblems).toEqual([expect.objectContaining({ kind: "active", digest: shipped.digest, reason: listed.loadProblems[0]!.reason })])

    const { context, page, check } = await signedIn("admin")
    await page.goto("/console/policies")
    const alert = page.getByTestId("policy-load-problem")
    expect(await alert.count()).toBe(1)
    const text = (await alert.textContent()) ?? ""
    expect(text).toContain("The active bundle")
    expect(text).toContain(listed.loadProblems[0]!.reason)
    expect(text).toContain(`Deciding instead: ${freeze.digest.slice(0, 19)}`)
    await check()

    // Pointing back at a bundle that loads clears the problem everywhere.
    await page.getByRole("button", { name: `Activate ${freeze.revision}` }).click()
    await page.waitForURL("**/console/policies")
    expect(await page.getByTestId("policy-load-problem").count()).toBe(0)
    expect((await policies()).loadProblems).toEqual([])
    expect((await readAnswer(await fetch(`${server.url}/releasepassport/v1/readyz`))).json.policy.workspaceProblems).toEqual([])
    await context.close()
  }, 120_000)
})
