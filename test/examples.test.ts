import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import path from "node:path"
import { parse } from "yaml"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { BIN, cli, createToken, githubScripts, REPO, runGithubJob, runGitlabJob, startServer } from "@releasepassport/testing"
import type { JobRun, RunningServer } from "@releasepassport/testing"

/*
 * The pipeline examples in examples/ run here as CI would run them: their shell steps, taken
 * from the YAML, against a real server, with `releasepassport` on PATH as an installed CLI
 * would be. A step that stops working, or an exit code that stops deciding the job, fails here.
 */

const example = (...parts: Array<string>) => path.join(REPO, "examples", ...parts)
const WORKFLOW = example("github-actions", "release-gate.yml")
const ACTION = example("github-actions", "action.yml")
const GITLAB = example("gitlab-ci", ".gitlab-ci.yml")

// A well-formed sha256 digest (of "hello"), as a registry would report one for a pushed image.
const DIGEST = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
const SOURCE_SHA = "9f3c8b7e4d2a1f0e6c5b4a39281706f5e4d3c2b1"

let workDir: string
let server: RunningServer
let token: string
let shimDir: string
let closedUrl: string
let counter = 0

/** A URL nothing listens on: a port the OS handed out and that was closed again. */
const closedPortUrl = () =>
  new Promise<string>((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      if (address === null || typeof address === "string") return reject(new Error("no port"))
      probe.close(() => resolve(`http://127.0.0.1:${address.port}`))
    })
  })

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), "rp-examples-"))
  const database = `sqlite:${path.join(workDir, "rp.db")}`
  const migrated = await cli(["migrate", "--database", database])
  expect(migrated.code, migrated.stderr).toBe(0)
  token = (await createToken(database, "--workspace", "default", "--scope", "gate:evaluate", "--scope", "evidence:ingest", "--name", "ci")).value
  server = await startServer({ database })
  // `releasepassport` on PATH runs the built CLI with this Node, as `npm install --global` would.
  shimDir = path.join(workDir, "bin")
  mkdirSync(shimDir)
  writeFileSync(path.join(shimDir, "releasepassport"), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`)
  chmodSync(path.join(shimDir, "releasepassport"), 0o755)
  closedUrl = await closedPortUrl()
})
afterAll(async () => {
  await server?.stop()
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true })
})

/** What every runner provides: the shim and this Node first on PATH, and nothing of the test's own environment. */
const baseEnv = () => ({
  PATH: [shimDir, path.dirname(process.execPath), "/usr/local/bin", "/usr/bin", "/bin"].join(":"),
  HOME: workDir,
  LANG: "C.UTF-8"
})

const describeRun = (run: JobRun) =>
  run.steps.map((s) => `--- ${s.name}: ${s.outcome} (${s.exitCode})\n${s.stdout}${s.stderr}`).join("\n")

const stepNamed = (run: JobRun, name: string) => run.steps.find((step) => step.name === name)

describe("GitHub Actions example (workflow + composite action)", () => {
  const runPromoteJob = (options: { stagingUrl: string; token?: string; url?: string }) => {
    const runId = `${Date.now()}${counter++}`
    const runnerTemp = mkdtempSync(path.join(workDir, "runner-"))
    const summary = path.join(runnerTemp, "summary.md")
    writeFileSync(summary, "")
    const run = runGithubJob(WORKFLOW, "promote-production", {
      env: {
        ...baseEnv(),
        CI: "true",
        GITHUB_ACTIONS: "true",
        GITHUB_RUN_ID: runId,
        GITHUB_RUN_ATTEMPT: "1",
        GITHUB_SERVER_URL: "https://github.example.com",
        GITHUB_REPOSITORY: "acme/checkout-api",
        GITHUB_SHA: SOURCE_SHA,
        RUNNER_TEMP: runnerTemp,
        GITHUB_STEP_SUMMARY: summary
      },
      contexts: {
        vars: { RELEASEPASSPORT_URL: options.url ?? server.url, STAGING_URL: options.stagingUrl },
        secrets: { RELEASEPASSPORT_TOKEN: options.token ?? token },
        github: { run_id: runId, sha: SOURCE_SHA },
        needs: { build: { outputs: { digest: DIGEST } } }
      },
      localActions: { "./.github/actions/releasepassport-gate": ACTION },
      skippableActions: ["actions/checkout", "actions/setup-node"],
      workspace: runnerTemp
    })
    return run.then((result) => ({ result, runId, summary: () => readFileSync(summary, "utf8") }))
  }

  it("a passing smoke test is recorded, the gate allows the release, and the deploy step runs", async () => {
    // The server's own health route stands in for the release in staging.
    const { result, runId, summary } = await runPromoteJob({ stagingUrl: `${server.url}/releasepassport/v1` })
    const log = describeRun(result)
    expect(result.exitCode, log).toBe(0)
    expect(stepNamed(result, "Smoke test in staging")?.outcome, log).toBe("success")
    const gate = stepNamed(result, "Release Passport gate")
    expect(gate?.outputs, log).toMatchObject({ verdict: "pass", allowed: "true" })
    expect(gate?.outputs["passport-id"]).toMatch(/^pp_/)
    // The CLI was found on PATH, so nothing was installed.
    expect(gate?.stdout).toContain(`using ${path.join(shimDir, "releasepassport")}`)
    expect(gate?.stdout).toContain(`stored on passport ${gate?.outputs["passport-id"]} (github_actions run-${runId}-smoke)`)
    expect(stepNamed(result, "Deploy")?.stdout).toContain(`deploying ${DIGEST} to production (passport ${gate?.outputs["passport-id"]})`)
    expect(summary()).toContain("Release Passport: allowed (verdict pass, enforce)")
  })

  it("a failing smoke test is recorded, the gate blocks with exit 1, and the deploy step does not run", async () => {
    const { result, summary } = await runPromoteJob({ stagingUrl: closedUrl })
    const log = describeRun(result)
    expect(stepNamed(result, "Smoke test in staging"), log).toMatchObject({ outcome: "failure", continuedOnError: true })
    expect(result.exitCode, log).toBe(1)
    const gate = stepNamed(result, "Release Passport gate")
    expect(gate?.outputs, log).toMatchObject({ verdict: "fail", allowed: "false" })
    expect(gate?.stdout).toContain("blocked (verdict fail, enforce)")
    expect(gate?.stdout).toContain("blocker `evidence.failed`")
    expect(stepNamed(result, "Deploy"), log).toBeUndefined()
    expect(summary()).toContain("Release Passport: blocked (verdict fail, enforce)")
  })

  it("a token the server refuses fails the job with exit 2 and never prints the token", async () => {
    const refused = `rp_${"0".repeat(49)}`
    const { result } = await runPromoteJob({ stagingUrl: `${server.url}/releasepassport/v1`, token: refused })
    const log = describeRun(result)
    expect(result.exitCode, log).toBe(2)
    expect(result.stderr).toContain("401")
    expect(stepNamed(result, "Deploy"), log).toBeUndefined()
    expect(log).not.toContain(refused)
  })

  it("an unreachable server fails the job with exit 2", async () => {
    const { result } = await runPromoteJob({ stagingUrl: `${server.url}/releasepassport/v1`, url: closedUrl })
    expect(result.exitCode, describeRun(result)).toBe(2)
    expect(stepNamed(result, "Deploy")).toBeUndefined()
  })

  it("no script interpolates ${{ }} expressions: values reach the shell only through env", () => {
    const scripts = [...githubScripts(WORKFLOW), ...githubScripts(ACTION)]
    expect(scripts.length).toBeGreaterThanOrEqual(5)
    for (const script of scripts) expect(script).not.toContain("${{")
  })
})

describe("GitLab CI example", () => {
  const jobEnv = (pipelineId: string, stagingUrl: string, jobId: number) => ({
    ...baseEnv(),
    CI: "true",
    GITLAB_CI: "true",
    CI_PIPELINE_ID: pipelineId,
    CI_COMMIT_SHA: SOURCE_SHA,
    CI_JOB_ID: String(jobId),
    CI_JOB_URL: `https://gitlab.example.com/acme/checkout-api/-/jobs/${jobId}`,
    // Project CI/CD variables and the build job's dotenv report.
    RELEASEPASSPORT_URL: server.url,
    RELEASEPASSPORT_TOKEN: token,
    STAGING_URL: stagingUrl,
    IMAGE_DIGEST: DIGEST
  })

  const runJob = (name: string, pipelineId: string, stagingUrl: string) => {
    const workspace = mkdtempSync(path.join(workDir, "project-"))
    return runGitlabJob(GITLAB, name, {
      env: { ...jobEnv(pipelineId, stagingUrl, counter++), CI_JOB_NAME: name },
      workspace
    })
  }

  it("smoke passes, evidence is recorded, and gate-production allows the release (exit 0)", async () => {
    const pipelineId = `${Date.now()}${counter++}`
    const smoke = await runJob("smoke-staging", pipelineId, `${server.url}/releasepassport/v1`)
    expect(smoke.exitCode, describeRun(smoke)).toBe(0)
    expect(smoke.stdout).toContain(`(gitlab_ci pipeline-${pipelineId}-smoke-staging)`)
    const gate = await runJob("gate-production", pipelineId, `${server.url}/releasepassport/v1`)
    expect(gate.exitCode, describeRun(gate)).toBe(0)
    expect(gate.stdout).toContain(`ALLOWED  verdict=pass  mode=enforce  apps-checkout/checkout-api -> production  release=gl-${pipelineId}`)
  })

  it("a failed smoke test fails its job and is recorded; gate-production then blocks (exit 1)", async () => {
    const pipelineId = `${Date.now()}${counter++}`
    const smoke = await runJob("smoke-staging", pipelineId, closedUrl)
    expect(smoke.exitCode, describeRun(smoke)).not.toBe(0)
    expect(smoke.stdout).toContain("stored on passport")
    const gate = await runJob("gate-production", pipelineId, closedUrl)
    expect(gate.exitCode, describeRun(gate)).toBe(1)
    expect(gate.stdout).toContain("evidence.failed")
  })

  it("without smoke evidence, gate-production blocks (exit 1: required evidence missing)", async () => {
    const gate = await runJob("gate-production", `${Date.now()}${counter++}`, closedUrl)
    expect(gate.exitCode, describeRun(gate)).toBe(1)
    expect(gate.stdout).toContain("evidence.required_missing")
  })
})

describe("the examples install the package that provides the releasepassport command", () => {
  // When the CLI moves to another package, this fails until the examples name the new one.
  const workspacePackages = (parse(readFileSync(path.join(REPO, "package.json"), "utf8")).workspaces as Array<string>)
    .map((dir) => JSON.parse(readFileSync(path.join(REPO, dir, "package.json"), "utf8")))
  const provider = workspacePackages.find((pkg) => pkg.bin?.releasepassport !== undefined)?.name

  it("in the composite action and in the GitLab pipeline", () => {
    expect(provider).toBeDefined()
    expect(parse(readFileSync(ACTION, "utf8")).inputs["cli-package"].default).toBe(provider)
    expect(parse(readFileSync(GITLAB, "utf8")).variables.RELEASEPASSPORT_CLI_PACKAGE).toBe(provider)
  })
})
