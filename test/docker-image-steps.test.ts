import { spawn, spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs"
import { homedir, tmpdir } from "node:os"
import path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { REPO } from "@releasepassport/testing"

/*
 * There is no Docker engine on these machines, so deploy/docker/Dockerfile cannot be built
 * here. This test does the next best thing: it replays the Dockerfile's instructions on the
 * host, in a scratch directory standing in for the image's file system (COPY from the build
 * context, RUN in WORKDIR, COPY --from between stages, ENV), then starts the server the way the
 * image would (ENTRYPOINT + CMD) and checks that it is ready, i.e. that the pruned production
 * dependencies suffice and the default policy bundle is found in the image's layout, and that
 * the HEALTHCHECK passes. Only the runtime stage's user creation is not replayed (it would
 * change the host's accounts); the image's user is checked in deploy.test.ts.
 *
 * It runs `npm ci` and a full build (about a minute), so it runs in CI, and elsewhere only when
 * RELEASEPASSPORT_TEST_IMAGE_STEPS=1.
 */

const enabled = process.env.CI === "true" || process.env.RELEASEPASSPORT_TEST_IMAGE_STEPS === "1"
if (!enabled) console.warn("\n!! Dockerfile steps NOT replayed (slow): set RELEASEPASSPORT_TEST_IMAGE_STEPS=1 to run test/docker-image-steps.test.ts !!\n")

interface Instruction {
  readonly keyword: string
  readonly args: string
}

const instructions = (): Array<Instruction> =>
  readFileSync(path.join(REPO, "deploy/docker/Dockerfile"), "utf8")
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const at = line.search(/\s/)
      return { keyword: line.slice(0, at).toUpperCase(), args: line.slice(at + 1).trim() }
    })

const sh = (script: string, cwd: string, env: Record<string, string>) =>
  new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn("sh", ["-c", script], { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, output }))
  })

/** deploy/docker/Dockerfile.dockerignore, with Docker's meaning: patterns relative to the context root. */
const ignoredByDocker = () => {
  const patterns = readFileSync(path.join(REPO, "deploy/docker/Dockerfile.dockerignore"), "utf8")
    .split("\n").map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"))
  return (file: string) => patterns.some((p) => path.matchesGlob(file, p) || path.matchesGlob(file, `${p}/**`))
}

/** The build context: the checkout's files (tracked, or new and not git-ignored) less what the dockerignore file excludes. */
const copyContext = (into: string) => {
  const listed = spawnSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: REPO, encoding: "utf8" })
  expect(listed.status, listed.stderr).toBe(0)
  const ignored = ignoredByDocker()
  for (const file of listed.stdout.split("\0").filter((f) => f !== "" && !ignored(f) && existsSync(path.join(REPO, f)))) {
    mkdirSync(path.dirname(path.join(into, file)), { recursive: true })
    cpSync(path.join(REPO, file), path.join(into, file))
  }
}

let scratch: string | undefined
let server: ReturnType<typeof spawn> | undefined
afterAll(() => {
  server?.kill("SIGTERM")
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true })
})

describe.skipIf(!enabled)("deploy/docker/Dockerfile, replayed without Docker", () => {
  it("builds, and the image's server starts ready with its bundled policies and passes its HEALTHCHECK", async () => {
    scratch = mkdtempSync(path.join(tmpdir(), "rp-image-"))
    const context = path.join(scratch, "context")
    copyContext(context)
    // One directory per stage stands in for its root file system; container paths map into it.
    const stages = new Map<string, string>()
    let root = ""
    let workdir = "/"
    let env: Record<string, string> = {}
    let entrypoint: Array<string> = []
    let command: Array<string> = []
    let healthcheck: Array<string> = []
    const args: Record<string, string> = {}
    const inRoot = (containerPath: string, base = root) => path.join(base, path.posix.resolve(workdir, containerPath))

    for (const { keyword, args: rest } of instructions()) {
      if (keyword === "ARG") {
        const [name, value] = rest.split("=")
        args[name!] = value ?? ""
      } else if (keyword === "FROM") {
        const [image, as, name] = rest.replace(/\$\{(\w+)\}/g, (_, n: string) => args[n] ?? "").split(/\s+/)
        expect(image).toMatch(/^node:22/)
        expect(as?.toUpperCase()).toBe("AS")
        root = path.join(scratch, "stages", name!)
        mkdirSync(root, { recursive: true })
        stages.set(name!, root)
        workdir = "/"
        // What the base image provides: Node 22 (this test's) and the usual system paths.
        env = { PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, HOME: path.join(scratch, "home") }
        // npm's cache of this machine, so the replay does not download every package again.
        env.npm_config_cache = path.join(homedir(), ".npm")
        // The machine's way to reach the registry (its CA bundle, proxies, npm settings) as a
        // build host would have it; nothing else of this environment leaks into the replay.
        for (const [name, value] of Object.entries(process.env)) {
          if (value !== undefined && /^(NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|NIX_SSL_CERT_FILE|HTTPS?_PROXY|NO_PROXY|npm_config_(registry|cafile|strict_ssl|proxy|https_proxy))$/i.test(name)) env[name] = value
        }
      } else if (keyword === "WORKDIR") {
        workdir = path.posix.resolve(workdir, rest)
        mkdirSync(inRoot("."), { recursive: true })
      } else if (keyword === "COPY") {
        const parts = rest.split(/\s+/)
        const from = parts.find((p) => p.startsWith("--from="))?.slice("--from=".length)
        const paths = parts.filter((p) => !p.startsWith("--"))
        const destination = paths.pop()!
        for (const source of paths) {
          const sourcePath = from === undefined ? path.join(context, source) : path.join(stages.get(from)!, source)
          expect(existsSync(sourcePath), `COPY source ${source}`).toBe(true)
          // Docker copies a directory's contents, and a file into a destination ending in "/".
          const target = !statSync(sourcePath).isDirectory() && destination.endsWith("/")
            ? path.join(inRoot(destination), path.basename(source))
            : inRoot(destination)
          mkdirSync(path.dirname(target), { recursive: true })
          cpSync(sourcePath, target, { recursive: true, verbatimSymlinks: true })
        }
      } else if (keyword === "RUN") {
        if (/\b(groupadd|useradd)\b/.test(rest)) continue
        const result = await sh(rest, inRoot("."), { ...env, ...args })
        expect(result.code, `RUN ${rest}\n${result.output}`).toBe(0)
      } else if (keyword === "ENV") {
        for (const match of rest.matchAll(/(\w+)=(\S+)/g)) {
          // Container paths in values point into the runtime stage's directory.
          env[match[1]!] = match[2]!
            .replace(/\$PATH/g, env.PATH ?? "")
            .replace(/(^|:)(\/app|\/data)(?=\/|$)/g, (_, sep: string, p: string) => `${sep}${root}${p}`)
        }
      } else if (keyword === "ENTRYPOINT") {
        entrypoint = JSON.parse(rest)
      } else if (keyword === "CMD") {
        command = JSON.parse(rest)
      } else if (keyword === "HEALTHCHECK") {
        healthcheck = JSON.parse(rest.slice(rest.indexOf("CMD ") + 4))
      } else if (!["USER", "VOLUME", "EXPOSE"].includes(keyword)) {
        throw new Error(`Dockerfile instruction not replayed by this test: ${keyword}`)
      }
    }

    // The runtime stage holds no sources and no dev dependencies.
    expect(existsSync(path.join(root, "app/packages/server/src"))).toBe(false)
    expect(existsSync(path.join(root, "app/node_modules/vitest"))).toBe(false)
    mkdirSync(path.join(root, "data"), { recursive: true })

    // Started as the image starts it; only the address differs, so tests can run side by side.
    const binary = path.join(root, entrypoint[0]!)
    const child = spawn(binary, [...entrypoint.slice(1), ...command, "--host", "127.0.0.1", "--port", "0"], {
      cwd: path.join(root, "app"),
      env: { ...env, RELEASEPASSPORT_LOG_FORMAT: "json" },
      stdio: ["ignore", "pipe", "pipe"]
    })
    server = child
    let output = ""
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the image's server did not start:\n${output}`)), 60_000)
      const onData = (chunk: Buffer) => {
        output += chunk.toString()
        const match = /listening on (http:\/\/[^\s"]+)/.exec(output)
        if (match !== null) {
          clearTimeout(timer)
          resolve(match[1]!)
        }
      }
      child.stdout!.on("data", onData)
      child.stderr!.on("data", onData)
      child.on("exit", (code) => reject(new Error(`the image's server exited with ${code}:\n${output}`)))
    })

    const ready = await fetch(`${url}/releasepassport/v1/readyz`)
    const body = await ready.json()
    expect(ready.status, JSON.stringify(body)).toBe(200)
    expect(body.policy.bundleDigest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(existsSync(path.join(root, "data/releasepassport.db"))).toBe(true)

    const [node, ...checkArgs] = healthcheck
    expect(node).toBe("node")
    const check = spawnSync(process.execPath, checkArgs, { env: { ...env, RELEASEPASSPORT_PORT: new URL(url).port } })
    expect(check.status, check.stderr?.toString()).toBe(0)
  }, 600_000)
})
