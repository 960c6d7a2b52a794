import { execFile } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { isBuiltin } from "node:module"
import { tmpdir } from "node:os"
import path from "node:path"
import { pathToFileURL } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { BIN, passingGateRequest, REPO } from "@releasepassport/testing"

/**
 * The built CLI is one bundle (packages/cli/tsup.config.ts) whose commands load what they run.
 * What `--help` and `gate evaluate` load is read from Node's module resolution (a hook that
 * records every module the process resolves), and what the bundle imports from outside itself
 * must be a Node built-in or one of the CLI's own dependencies, or an installed CLI breaks.
 */
const DIST = path.join(REPO, "packages/cli/dist")

const HOOK = `
import { registerHooks } from "node:module"
import { appendFileSync } from "node:fs"
registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context)
    appendFileSync(process.env.LOADED_LIST, result.url + "\\n")
    return result
  }
})
`

describe("the bundled CLI", () => {
  let dir: string
  let hook: string
  let request: string

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "releasepassport-cli-bundle-"))
    hook = path.join(dir, "hook.mjs")
    writeFileSync(hook, HOOK)
    request = path.join(dir, "gate.json")
    writeFileSync(request, JSON.stringify(passingGateRequest()))
  })
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  /** Runs the CLI and answers its exit code and every module URL it resolved. */
  const loaded = (name: string, args: ReadonlyArray<string>) =>
    new Promise<{ code: number | null; urls: Array<string>; stderr: string }>((resolve) => {
      const list = path.join(dir, `${name}.txt`)
      writeFileSync(list, "")
      execFile(process.execPath, ["--import", pathToFileURL(hook).href, BIN, ...args], { cwd: dir, env: { ...process.env, LOADED_LIST: list } }, (error, _stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null
        resolve({ code, urls: readFileSync(list, "utf8").split("\n").filter((url) => url !== ""), stderr })
      })
    })

  /** Modules that come from node_modules (by package name), and the bundle's own chunks. */
  const packagesOf = (urls: ReadonlyArray<string>) =>
    [...new Set(urls.flatMap((url) => {
      const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)
      return match === null ? [] : [match[1]!]
    }))]
  const chunksOf = (urls: ReadonlyArray<string>) => urls.filter((url) => url.includes("/packages/cli/dist/"))

  it("--help loads the bundle and nothing from node_modules", async () => {
    const result = await loaded("help", ["--help"])
    expect(result.code, result.stderr).toBe(0)
    expect(packagesOf(result.urls)).toEqual([])
    // The bundle, not the packages' own builds: nothing of ours is loaded from another package.
    expect(result.urls.filter((url) => /\/packages\/(core|app|adapters|server|console)\//.test(url))).toEqual([])
    expect(chunksOf(result.urls).length).toBeGreaterThan(0)
  })

  it("gate evaluate (server unreachable) loads the API definition, not the server, its stores, drivers or policy engine", async () => {
    const result = await loaded("gate", ["gate", "evaluate", "--url", "http://127.0.0.1:9", "--file", request, "--retries", "0", "--token", "rp_test"])
    expect(result.code, result.stderr).toBe(2)
    expect(result.stderr).toContain("cannot reach http://127.0.0.1:9")
    expect(packagesOf(result.urls)).toEqual([])
    const help = await loaded("help-again", ["--help"])
    // It did load more than --help: the chunk with the API definition, when the call was made.
    expect(chunksOf(result.urls).length).toBeGreaterThan(chunksOf(help.urls).length)
  })

  it("serve's path is lazy, not missing: policy eval loads the policy engine from node_modules", async () => {
    const result = await loaded("policy-eval", ["policy", "eval", "--request", request])
    expect(result.code, result.stderr).toBe(0)
    expect(packagesOf(result.urls)).toContain("@open-policy-agent/opa-wasm")
  })

  it("imports from outside the bundle only Node's built-ins and the CLI's declared dependencies", () => {
    const manifest = JSON.parse(readFileSync(path.join(REPO, "packages/cli/package.json"), "utf8")) as { dependencies: Record<string, string> }
    const declared = new Set(Object.keys(manifest.dependencies))
    const external = new Set<string>()
    // How esbuild writes what it left outside: import statements at the top of a chunk, import()
    // of a literal, and __require() in bundled CommonJS.
    const forms = [/^import\s[^;]*?\bfrom\s*"([^"]+)";?$/gm, /^import\s*"([^"]+)";?$/gm, /\bimport\("([^"]+)"\)/g, /\b__require\("([^"]+)"\)/g]
    for (const file of readdirSync(DIST).filter((name) => name.endsWith(".js"))) {
      const code = readFileSync(path.join(DIST, file), "utf8")
      for (const form of forms) {
        for (const [, specifier] of code.matchAll(form)) {
          if (specifier!.startsWith(".") || isBuiltin(specifier!)) continue
          external.add(specifier!.startsWith("@") ? specifier!.split("/").slice(0, 2).join("/") : specifier!.split("/")[0]!)
        }
      }
    }
    expect([...external]).toContain("kysely")
    // ws (bundled, in the HTTP server) tries these optional native helpers inside try/catch.
    const optional = new Set(["bufferutil", "utf-8-validate"])
    expect([...external].filter((name) => !declared.has(name) && !optional.has(name)).sort()).toEqual([])
  })
})
