// npm run docs:screenshots: the README's console screenshots (Overview, a passport), taken from
// the BUILT server with data made through the public API, in Debian's Chromium. Rerun whenever
// the pages change; writes docs/images/console-overview.png and console-passport.png.
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { chromium } from "playwright-core"

const REPO = fileURLToPath(new URL("../", import.meta.url))
const BIN = path.join(REPO, "packages/cli/bin/releasepassport.js")
const PASSWORD = "screenshots password, long enough"
const DIGEST = `sha256:${"3f1a9c0e".repeat(8)}`

const cli = (args, input = "") =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ["pipe", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (c) => (stdout += c))
    child.stderr.on("data", (c) => (stderr += c))
    child.on("close", (code) => (code === 0 ? resolve(stdout.trim()) : reject(new Error(`${args.join(" ")}: ${stderr}`))))
    child.stdin.end(input)
  })

const serve = (database) =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--database", database], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    const onData = (c) => {
      output += c
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match) resolve({ url: match[1], stop: () => child.kill("SIGTERM") })
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.on("exit", (code) => reject(new Error(`server exited ${code}: ${output}`)))
  })

const dir = mkdtempSync(path.join(tmpdir(), "releasepassport-screenshots-"))
const database = `sqlite:${path.join(dir, "rp.db")}`
let server
let browser
try {
  await cli(["migrate", "--database", database])
  await cli(["user", "create", "--database", database, "--email", "ada@example.com", "--name", "Ada", "--workspace", "default", "--role", "owner"], `${PASSWORD}\n`)
  const token = await cli(["token", "create", "--database", database, "--workspace", "default", "--name", "ci", "--scope", "gate:evaluate", "--scope", "evidence:ingest"])
  server = await serve(database)
  const post = async (route, body) => {
    const answer = await fetch(`${server.url}/releasepassport/v1${route}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body)
    })
    if (!answer.ok) throw new Error(`${route}: ${answer.status} ${await answer.text()}`)
    return answer.json()
  }
  const release = (name, n) => ({ releaseId: `gh-${4100 + n}`, sourceSha: `9f3c8b7${n}`, renderedManifestPath: `rendered/${name}.yaml` })
  const gate = (name, environment, mode, n) =>
    post("/gate/evaluate", {
      mode,
      service: { name, namespace: "apps", environment },
      artifact: { digest: DIGEST },
      release: release(name, n),
      health: { ready: true, requireHealthyTarget: true },
      rollback: { available: true, verified: true }
    })
  const evidence = (name, n, items) =>
    post("/evidence/ingest", {
      source: "github_actions",
      externalId: `run-${n}`,
      service: { name, namespace: "apps" },
      release: { releaseId: release(name, n).releaseId, sourceSha: release(name, n).sourceSha },
      artifact: { digest: DIGEST },
      evidence: items
    })
  const services = ["checkout-api", "search-api", "payments-api", "cart-api", "ledger-api", "notify-api"]
  let shown
  for (const [i, name] of services.entries()) {
    await gate(name, "staging", "enforce", i)
    if (i % 2 === 0) await evidence(name, i, [{ type: "smoke", status: "passed", summary: "40 of 40 checks passed" }])
    if (i === 2) await evidence(name, i, [{ type: "smoke", status: "failed", summary: "smoke failed: 3 of 40 checks" }])
    const answer = await gate(name, "production", i % 3 === 1 ? "shadow" : "enforce", i)
    if (i === 2) shown = answer.passportId
  }

  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]
  })
  const page = await (await browser.newContext({ baseURL: server.url, viewport: { width: 1280, height: 900 } })).newPage()
  await page.goto("/console/login")
  await page.getByLabel("Email").fill("ada@example.com")
  await page.getByLabel("Password").fill(PASSWORD)
  await page.getByRole("button", { name: "Sign in" }).click()
  await page.waitForURL("**/console")
  await page.waitForLoadState("networkidle")
  await page.screenshot({ path: path.join(REPO, "docs/images/console-overview.png"), fullPage: true })
  await page.goto(`/console/passports/${shown}`)
  await page.waitForLoadState("networkidle")
  await page.screenshot({ path: path.join(REPO, "docs/images/console-passport.png"), fullPage: true })
  console.log("wrote docs/images/console-overview.png and docs/images/console-passport.png")
} finally {
  await browser?.close()
  server?.stop()
  rmSync(dir, { recursive: true, force: true })
}
