import { spawn, spawnSync } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import path from "node:path"
import { parse, parseAllDocuments } from "yaml"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { BIN, cli, REPO, startServer } from "@releasepassport/testing"
import type { RunningServer } from "@releasepassport/testing"

/*
 * The deployment examples in deploy/: the Kubernetes manifests through a real validator
 * (kubeconform, pinned in scripts/kubeconform.sh, against the pinned Kubernetes API), the
 * systemd unit through systemd-analyze, and every probe, health check, command and setting
 * they name checked against the real server and CLI, so a renamed route or flag fails here.
 * No container is built here (there is no Docker engine on these machines).
 */

const deploy = (...parts: Array<string>) => path.join(REPO, "deploy", ...parts)
const K8S_DIR = deploy("kubernetes")

const run = (command: string, args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    // The first run installs kubeconform and makes the schemas (a go install: minutes on a cold cache).
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`${command} ${args.join(" ")} timed out\n${stdout}\n${stderr}`))
    }, 600_000)
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })

const has = (command: string) => spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0

const closedPort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      if (address === null || typeof address === "string") return reject(new Error("no port"))
      probe.close(() => resolve(address.port))
    })
  })

const manifests = () =>
  readdirSync(K8S_DIR)
    .filter((file) => file.endsWith(".yaml"))
    .flatMap((file) => parseAllDocuments(readFileSync(path.join(K8S_DIR, file), "utf8")).map((doc) => doc.toJS()))
    .filter((doc) => doc !== null)
const manifest = (kind: string) => {
  const found = manifests().filter((doc) => doc.kind === kind)
  expect(found, kind).toHaveLength(1)
  return found[0]
}

let workDir: string
let server: RunningServer

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), "rp-deploy-"))
  server = await startServer({ database: `sqlite:${path.join(workDir, "rp.db")}` })
})
afterAll(async () => {
  await server?.stop()
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true })
})

const status = async (urlPath: string) => (await fetch(`${server.url}${urlPath}`)).status

// ---------------------------------------------------------------------------------------------

const validatorAvailable = has("go") || (existsSync(path.join(REPO, ".tools/bin/kubeconform")) &&
  readdirSync(path.join(REPO, ".tools")).includes("kubernetes-schemas"))
if (!validatorAvailable) {
  if (process.env.CI === "true") throw new Error("CI=true: go is needed to install kubeconform (scripts/kubeconform.sh)")
  console.warn("\n!! deploy/kubernetes is NOT validated: no go to install kubeconform (scripts/kubeconform.sh) !!\n")
}

describe.skipIf(!validatorAvailable)("Kubernetes manifests, through kubeconform", () => {
  const kubeconform = (...args: Array<string>) => run("bash", ["scripts/kubeconform.sh", "-strict", "-summary", "-output", "json", ...args])

  it("every resource is valid against the pinned Kubernetes API, strictly", async () => {
    const result = await kubeconform(K8S_DIR)
    expect(result.code, result.stdout + result.stderr).toBe(0)
    const { summary } = JSON.parse(result.stdout)
    // Every document was checked against a schema: none skipped, none without one.
    expect(summary).toEqual({ valid: manifests().length, invalid: 0, errors: 0, skipped: 0 })
    expect(manifests().map((doc) => doc.kind).sort()).toEqual(["Deployment", "PodDisruptionBudget", "Service"])
  }, 600_000)

  it("rejects a misspelt field and a wrong type (the schemas are applied, and strict)", async () => {
    const original = readFileSync(path.join(K8S_DIR, "deployment.yaml"), "utf8")
    const broken = path.join(workDir, "broken")
    rmSync(broken, { recursive: true, force: true })
    spawnSync("mkdir", ["-p", broken])
    writeFileSync(path.join(broken, "typo.yaml"), original.replace("readinessProbe:", "readinesProbe:"))
    writeFileSync(path.join(broken, "type.yaml"), original.replace("replicas: 3", "replicas: three"))
    const result = await kubeconform(broken)
    expect(result.code).toBe(1)
    expect(JSON.parse(result.stdout).summary).toMatchObject({ valid: 0, invalid: 2 })
    expect(result.stdout).toContain("readinesProbe")
    expect(result.stdout).toContain("/spec/replicas")
  }, 600_000)
})

describe("Kubernetes manifests, against the server they deploy", () => {
  const deployment = () => manifest("Deployment")
  const pod = () => deployment().spec.template.spec
  const server_ = () => pod().containers.find((c: any) => c.name === "releasepassport")
  const envOf = (container: any, name: string) => container.env.find((e: any) => e.name === name)

  it("three replicas on PostgreSQL, the URL from a Secret in the migrations and the server alike", () => {
    expect(deployment().spec.replicas).toBe(3)
    const [migrate] = pod().initContainers
    expect(migrate.args).toEqual(["migrate"])
    expect(server_().args).toEqual(["serve"])
    expect(migrate.image).toBe(server_().image)
    for (const container of [migrate, server_()]) {
      expect(envOf(container, "RELEASEPASSPORT_DATABASE_URL").valueFrom.secretKeyRef).toEqual({ name: "releasepassport-database", key: "url" })
    }
  })

  it("the probes name routes the server answers, on the port it listens on", async () => {
    const container = server_()
    expect(container.readinessProbe.httpGet.path).toMatch(/\/readyz$/)
    expect(container.livenessProbe.httpGet.path).toMatch(/\/healthz$/)
    expect(await status(container.readinessProbe.httpGet.path)).toBe(200)
    expect(await status(container.livenessProbe.httpGet.path)).toBe(200)
    const port = container.ports.find((p: any) => p.name === container.readinessProbe.httpGet.port)
    expect(String(port.containerPort)).toBe(envOf(container, "RELEASEPASSPORT_PORT").value)
    const service = manifest("Service")
    expect(service.spec.ports[0].targetPort).toBe(port.name)
    expect(service.spec.selector).toEqual(deployment().spec.template.metadata.labels)
    expect(manifest("PodDisruptionBudget").spec.selector.matchLabels).toEqual(deployment().spec.selector.matchLabels)
  })

  it("runs as the image's non-root user, without privilege escalation or capabilities", () => {
    const security = pod().securityContext
    expect(security.runAsNonRoot).toBe(true)
    expect(security.runAsUser).not.toBe(0)
    expect(`${security.runAsUser}:${security.runAsGroup}`).toBe(dockerfile().user)
    for (const container of [...pod().initContainers, ...pod().containers]) {
      expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } })
    }
  })
})

// ---------------------------------------------------------------------------------------------

const dockerfile = () => {
  const text = readFileSync(deploy("docker", "Dockerfile"), "utf8")
  // Joined continuation lines, comments dropped: one instruction per entry.
  const instructions = text.replace(/\\\n/g, " ").split("\n").map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"))
  const argDefaults = Object.fromEntries(instructions.filter((i) => i.startsWith("ARG ")).map((i) => i.slice(4).split("=")))
  const froms = instructions.filter((i) => i.startsWith("FROM "))
  const lastFrom = instructions.lastIndexOf(froms[froms.length - 1]!)
  const finalStage = instructions.slice(lastFrom)
  const healthcheck = finalStage.find((i) => i.startsWith("HEALTHCHECK "))
  return {
    instructions,
    images: froms.map((from) => from.split(/\s+/)[1]!.replace(/^\$\{(\w+)\}$/, (_, name: string) => argDefaults[name] ?? name)),
    user: finalStage.find((i) => i.startsWith("USER "))?.slice(5),
    healthcheck: healthcheck === undefined ? undefined : JSON.parse(healthcheck.slice(healthcheck.indexOf("CMD ") + 4)) as Array<string>,
    entrypoint: JSON.parse(finalStage.find((i) => i.startsWith("ENTRYPOINT "))!.slice(11)) as Array<string>,
    copiedFromContext: instructions.filter((i) => i.startsWith("COPY ") && !i.includes("--from=")).flatMap((i) => i.split(/\s+/).slice(1, -1))
  }
}

describe("Dockerfile", () => {
  it("is multi-stage on Node 22 and runs as a non-root user", () => {
    const file = dockerfile()
    expect(file.images.length).toBeGreaterThanOrEqual(2)
    for (const image of file.images) expect(image).toMatch(/^node:22[.-]/)
    expect(file.user).toMatch(/^[1-9]\d*:[1-9]\d*$/)
  })

  it("copies the manifest of every workspace before npm ci, and files that exist", () => {
    const workspaces: Array<string> = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")).workspaces
    const copied = dockerfile().copiedFromContext
    for (const workspace of workspaces) expect(copied).toContain(`${workspace}/package.json`)
    for (const source of copied) if (source !== ".") expect(existsSync(path.join(REPO, source)), source).toBe(true)
    expect(existsSync(path.join(REPO, "policies/bundle/bundle.tar.gz"))).toBe(true)
  })

  it("its entrypoint is the CLI's bin link, and the commands the examples give it exist", async () => {
    const [entrypoint] = dockerfile().entrypoint
    expect(entrypoint).toBe("/app/node_modules/.bin/releasepassport")
    expect(existsSync(path.join(REPO, "node_modules/.bin/releasepassport"))).toBe(true)
    for (const command of ["serve", "migrate"]) {
      const help = await cli([command, "--help"])
      expect(help.code, help.stderr).toBe(0)
    }
  })

  it("its HEALTHCHECK passes against a running server and fails against a closed port", async () => {
    const [command, ...args] = dockerfile().healthcheck!
    expect(command).toBe("node")
    const port = new URL(server.url).port
    expect((await run(process.execPath, args, { RELEASEPASSPORT_PORT: port })).code).toBe(0)
    expect((await run(process.execPath, args, { RELEASEPASSPORT_PORT: String(await closedPort()) })).code).not.toBe(0)
  })
})

describe("compose.yaml", () => {
  const compose = () => parse(readFileSync(deploy("docker", "compose.yaml"), "utf8"))

  it("runs the server on PostgreSQL once it is healthy, with the database it creates", () => {
    const { postgres, releasepassport } = compose().services
    expect(releasepassport.depends_on.postgres.condition).toBe("service_healthy")
    expect(postgres.healthcheck.test.join(" ")).toContain("pg_isready")
    const url = new URL(releasepassport.environment.RELEASEPASSPORT_DATABASE_URL.replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", "x"))
    expect(url.protocol).toBe("postgres:")
    expect(url.hostname).toBe("postgres")
    expect(url.username).toBe(postgres.environment.POSTGRES_USER)
    expect(url.pathname).toBe(`/${postgres.environment.POSTGRES_DB}`)
    expect(postgres.environment.POSTGRES_PASSWORD).toBe("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}")
  })

  it("builds with the Dockerfile beside it and publishes on loopback only", () => {
    const { build, ports } = compose().services.releasepassport
    expect(path.resolve(deploy("docker"), build.context, build.dockerfile)).toBe(deploy("docker", "Dockerfile"))
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:/)
  })
})

// ---------------------------------------------------------------------------------------------

describe("every RELEASEPASSPORT_* setting the examples use is one the built server reads", () => {
  const files = [
    ...readdirSync(K8S_DIR).map((f) => path.join(K8S_DIR, f)),
    deploy("docker", "Dockerfile"),
    deploy("docker", "compose.yaml"),
    deploy("systemd", "releasepassport.service")
  ]
  const builtJs = () => {
    const out: Array<string> = []
    for (const pkg of readdirSync(path.join(REPO, "packages"))) {
      const dist = path.join(REPO, "packages", pkg, "dist")
      if (!existsSync(dist)) continue
      for (const file of readdirSync(dist, { recursive: true }) as Array<string>) {
        if (file.endsWith(".js")) out.push(readFileSync(path.join(dist, file), "utf8"))
      }
    }
    return out.join("\n")
  }

  it("in the manifests, the Dockerfile, compose.yaml and the systemd unit", () => {
    const names = new Set(files.flatMap((file) => readFileSync(file, "utf8").match(/RELEASEPASSPORT_[A-Z_]+/g) ?? []))
    expect(names.size).toBeGreaterThanOrEqual(5)
    const js = builtJs()
    for (const name of names) expect(js.includes(`"${name}"`), `${name} is read nowhere in the built packages`).toBe(true)
  })
})

describe("systemd unit", () => {
  const haveAnalyze = has("systemd-analyze")
  if (!haveAnalyze) console.warn("\n!! deploy/systemd is NOT verified: systemd-analyze is not installed !!\n")

  it.skipIf(!haveAnalyze)("passes systemd-analyze verify without a warning, with the CLI where the unit expects it", async () => {
    const unit = readFileSync(deploy("systemd", "releasepassport.service"), "utf8")
    const execs = [...unit.matchAll(/^ExecStart(?:Pre)?=(\S+) (\w+)$/gm)]
    expect(execs.map((m) => m[2])).toEqual(["migrate", "serve"])
    // verify checks that the commands exist: point them at this checkout's CLI.
    const shim = path.join(workDir, "releasepassport")
    writeFileSync(shim, `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 })
    const dir = mkdtempSync(path.join(workDir, "unit-"))
    writeFileSync(path.join(dir, "releasepassport.service"), unit.replaceAll(execs[0]![1]!, shim))
    const result = await run("systemd-analyze", ["verify", path.join(dir, "releasepassport.service")])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr.trim()).toBe("")
    for (const [, , command] of execs) expect((await run(shim, [command!, "--help"])).code).toBe(0)
  })
})
