import { execFile, spawn } from "node:child_process"
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { promisify } from "node:util"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { passingGateRequest, REPO } from "@releasepassport/testing"

/**
 * Every published package, `npm pack`ed from the build and installed into a project outside
 * the repository (dependencies from the npm cache, the registry only for what it lacks), then
 * used as a new user would: a token, a server with its bundled policies, a verdict.
 */
const run = promisify(execFile)
const PACKAGES = ["core", "app", "console", "adapters", "server", "cli"]
const npm = (args: ReadonlyArray<string>, cwd: string) =>
  run("npm", [...args], { cwd, env: { ...process.env, npm_config_audit: "false", npm_config_fund: "false" }, maxBuffer: 16 * 1024 * 1024 })

describe("packed packages, installed outside the repository", () => {
  let dir: string
  let project: string
  const tarballs: Array<string> = []

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "releasepassport-packed-"))
    for (const name of PACKAGES) {
      const { stdout } = await npm(["pack", "--json", "--pack-destination", dir, "-w", `packages/${name}`], REPO)
      tarballs.push(path.join(dir, JSON.parse(stdout)[0].filename))
    }
    project = path.join(dir, "project")
    mkdirSync(project)
    writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "uses-releasepassport", private: true, type: "module" }))
    await npm(["install", "--prefer-offline", ...tarballs], project)
  }, 240_000)
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it("each tarball carries its LICENSE, build and types, and says where it comes from and what Node it needs", async () => {
    for (const [i, name] of PACKAGES.entries()) {
      const { stdout } = await run("tar", ["-tzf", tarballs[i]!])
      const files = stdout.split("\n")
      expect(files, name).toContain("package/LICENSE")
      expect(files, name).toContain("package/package.json")
      if (name !== "cli") expect(files, name).toContain("package/dist/index.d.ts")
      const pkg = (await import(path.join(project, "node_modules/@releasepassport", name, "package.json"), { with: { type: "json" } })).default
      expect(pkg.license, name).toBe("Apache-2.0")
      expect(pkg.engines?.node, name).toBe(">=22.19")
      expect(pkg.repository?.url, name).toMatch(/^https:\/\//)
    }
    const { stdout } = await run("tar", ["-tzf", tarballs[PACKAGES.indexOf("server")]!])
    expect(stdout.split("\n")).toContain("package/dist/policies/bundle.tar.gz")
  })

  it("the installed command: token create, serve with the bundled policies (ready), gate evaluate gives a verdict", async () => {
    const bin = path.join(project, "node_modules/.bin/releasepassport")
    const database = `sqlite:${path.join(project, "rp.db")}`
    const created = await run(bin, ["token", "create", "--database", database, "--scope", "gate:evaluate", "--name", "installed"], { cwd: project })
    const token = created.stdout.trim()
    expect(token).toMatch(/^rp_/)
    const server = spawn(bin, ["serve", "--port", "0", "--database", database], { cwd: project, stdio: ["ignore", "pipe", "pipe"] })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let output = ""
        const timer = setTimeout(() => reject(new Error(`no listening line:\n${output}`)), 60_000)
        const onData = (chunk: Buffer) => {
          output += chunk.toString()
          const match = /listening on (http:\/\/[^\s"]+)/.exec(output)
          if (match !== null) {
            clearTimeout(timer)
            resolve(match[1]!)
          }
        }
        server.stdout.on("data", onData)
        server.stderr.on("data", onData)
      })
      const ready = await fetch(`${url}/releasepassport/v1/readyz`)
      expect(ready.status, await ready.clone().text()).toBe(200)
      const requestFile = path.join(project, "gate.json")
      writeFileSync(requestFile, JSON.stringify(passingGateRequest()))
      const verdict = await run(bin, ["gate", "evaluate", "--url", url, "--file", requestFile, "--json"], {
        cwd: project,
        env: { ...process.env, RELEASEPASSPORT_TOKEN: token }
      })
      expect(JSON.parse(verdict.stdout)).toMatchObject({ verdict: "pass", allowed: true })
      expect(readdirSync(project)).not.toContain("policies")
    } finally {
      server.kill("SIGTERM")
    }
  }, 120_000)
})
