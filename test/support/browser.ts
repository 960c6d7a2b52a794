import AxeBuilder from "@axe-core/playwright"
import { existsSync } from "node:fs"
import { chromium } from "playwright-core"
import type { Browser, BrowserContext, Page, Response } from "playwright-core"
import { expect } from "vitest"

/**
 * The browser the console's tests drive: Debian's Chromium (`.ci/run` installs it), headless,
 * in a fresh profile, with nothing reaching out of the machine.
 */
export const CHROMIUM = "/usr/bin/chromium"
export const hasChromium = (): boolean => existsSync(CHROMIUM)

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
  })

export interface CheckedPage {
  readonly context: BrowserContext
  readonly page: Page
  /**
   * After each page: nothing in the console, no CSP report, no serious or critical
   * accessibility violation, and no injected script ran (`window.__pwned`). An error page's
   * own status is the one console line Chromium prints for it, and it is expected there.
   */
  readonly check: (options?: { readonly status?: number }) => Promise<void>
  readonly go: (path: string) => Promise<Response | null>
}

/** A fresh browser context (its own cookies) on `baseURL`, with every page's problems collected. */
export const openCheckedPage = async (browser: Browser, baseURL: string): Promise<CheckedPage> => {
  const context = await browser.newContext({ baseURL })
  const page = await context.newPage()
  const problems: Array<string> = []
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`)
    })
  })
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`)
  })
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`))
  const check = async (options: { readonly status?: number } = {}) => {
    if (options.status !== undefined) {
      const line = `console: Failed to load resource: the server responded with a status of ${options.status}`
      for (let i = problems.length - 1; i >= 0; i--) if (problems[i]!.startsWith(line)) problems.splice(i, 1)
    }
    const axe = await new AxeBuilder({ page }).analyze()
    const serious = axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).toEqual([])
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined()
    expect(problems).toEqual([])
  }
  const go = async (path: string) => {
    const response = await page.goto(path)
    await page.waitForLoadState("load")
    return response
  }
  return { context, page, check, go }
}

/** Signs in through the login form and waits for the overview. */
export const signInWithForm = async (page: Page, email: string, password: string): Promise<void> => {
  await page.goto("/console/login")
  await page.getByLabel("Email").fill(email)
  await page.getByLabel("Password").fill(password)
  await page.getByRole("button", { name: "Sign in" }).click()
  await page.waitForURL("**/console")
}
