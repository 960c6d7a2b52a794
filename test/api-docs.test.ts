import type { Browser } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { hasChromium, launchChromium } from "./support/browser.ts"
import { adapterChoices, startServer } from "@releasepassport/testing"
import type { RunningServer, TestDatabase } from "@releasepassport/testing"

const sqlite = (await adapterChoices()).find((choice) => choice.adapter === "sqlite")!

describe("API documentation served by the built server", () => {
  let testDb: TestDatabase
  let server: RunningServer
  beforeAll(async () => {
    testDb = await sqlite.create()
    server = await startServer({ database: testDb.url })
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    await testDb?.drop()
  })

  it("/openapi.json is the documented document (summaries, servers, version)", async () => {
    const response = await fetch(`${server.url}/releasepassport/v1/openapi.json`)
    expect(response.status).toBe(200)
    const spec = await response.json()
    expect(spec.info).toMatchObject({ version: "0.1.0", license: { identifier: "Apache-2.0" } })
    expect(spec.paths["/releasepassport/v1/gate/evaluate"].post.summary).toBe("Evaluate a release gate")
  })

  it("/docs is a self-contained page: no script or font from elsewhere", async () => {
    const response = await fetch(`${server.url}/releasepassport/v1/docs`)
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toMatch(/^text\/html/)
    const html = await response.text()
    expect(html).not.toMatch(/<script[^>]+src=/)
    expect(html).not.toMatch(/<link[^>]+href="https?:/)
  })

  describe.skipIf(!hasChromium())("in a browser", () => {
    let browser: Browser
    beforeAll(async () => {
      browser = await launchChromium()
    }, 60_000)
    afterAll(async () => {
      await browser?.close()
    })

    it("renders the operations offline: every request stays on this server", async () => {
      const page = await browser.newPage()
      const outside: Array<string> = []
      const origin = new URL(server.url).origin
      // Anything not from this server is refused, as on a machine without internet, and noted.
      await page.route("**/*", (route) => {
        const url = route.request().url()
        if (url.startsWith(origin) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue()
        outside.push(url)
        return route.abort()
      })
      await page.goto(`${server.url}/releasepassport/v1/docs`)
      // The first group is open: its operations' summaries render; the page names the version and license.
      for (const text of ["Readiness", "Release Passport API", "v0.1.0", "Apache-2.0"]) {
        await page.getByText(text).first().waitFor({ timeout: 30_000 })
      }
      expect(outside).toEqual([])
      await page.close()
    }, 60_000)
  })
})
