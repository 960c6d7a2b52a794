import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adapterChoices, cli, createToken, passingGateRequest, REPO, startServer } from "@releasepassport/testing"
import type { CliResult, RunningServer, TestDatabase } from "@releasepassport/testing"

/**
 * A team's own rule, driven end to end through the CLI as a team would: `policy init`, a new
 * deny rule with its test, `policy fmt`, `policy check`, `policy build`, `policy push`,
 * `policy activate`, and a gate decided by that rule. opa is the repository's pinned one
 * (scripts/opa.sh), passed with --opa as a team would pass theirs.
 */
const OPA = path.join(REPO, "scripts/opa.sh")
const choices = await adapterChoices()

const RULE = `
# METADATA
# title: Release freeze
# description: Releases named frozen-* are blocked while the freeze lasts.
# custom:
#   code: release.frozen
#   severity: deny
deny contains result if {
  startswith(input.request.release.releaseId, "frozen-")
  result := finding("release.frozen", "gate/release", concat("", ["release ", input.request.release.releaseId, " is frozen"]), "Wait for the freeze to end.", [])
}
`
const RULE_TEST = `
test_frozen_release_is_denied if {
	"release.frozen" in deny_codes(with_request({"release": {"releaseId": "frozen-1"}}))
}

test_other_releases_are_not_frozen if {
	not "release.frozen" in deny_codes(passing)
}
`

const ok = (result: CliResult, what: string) => {
  expect(result.code, `${what}:\n${result.stdout}\n${result.stderr}`).toBe(0)
  return result
}

describe("policy init → edit → check → build → push → activate → a gate decided by the new rule", () => {
  let dir: string
  let project: string
  let bundle: string
  let revision: string

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "rp-policy-cli-"))
    project = path.join(dir, "policies")
    bundle = path.join(dir, "bundle.tar.gz")
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("init writes a project that passes its own checks", async () => {
    const init = ok(await cli(["policy", "init", project]), "policy init")
    expect(init.stdout).toContain("cases/gate-cases.json")
    expect(readFileSync(path.join(project, "README.md"), "utf8")).toContain("policy push")
    expect((await cli(["policy", "init", project])).code, "init refuses a non-empty directory").not.toBe(0)
  })

  it("without opa, one line says how to install it", async () => {
    const missing = await cli(["policy", "test", project, "--opa", path.join(dir, "no-such-opa")])
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toMatch(/opa not found .*install it .*--opa PATH/)
  })

  it("a new rule, formatted, checked (tests, cases, coverage) and built with its revision", async () => {
    appendFileSync(path.join(project, "src", "release.rego"), RULE)
    appendFileSync(path.join(project, "src", "release_test.rego"), RULE_TEST)
    // The rule above is not opa-formatted (two-space indent): check says so, fmt fixes it.
    expect((await cli(["policy", "fmt", project, "--check", "--opa", OPA], { timeoutMs: 300_000 })).code).not.toBe(0)
    ok(await cli(["policy", "fmt", project, "--opa", OPA], { timeoutMs: 300_000 }), "policy fmt")
    const checked = ok(await cli(["policy", "check", project, "--opa", OPA], { timeoutMs: 300_000 }), "policy check")
    expect(checked.stdout).toContain("coverage: policies")

    // A test that fails makes `policy test` fail.
    const failing = path.join(project, "src", "zz_failing_test.rego")
    writeFileSync(failing, "package releasepassport.gate_test\n\ntest_fails if {\n\tdeny_codes(passing) == [\"nope\"]\n}\n")
    expect((await cli(["policy", "test", project, "--opa", OPA], { timeoutMs: 300_000 })).code).not.toBe(0)
    rmSync(failing)

    const built = ok(await cli(["policy", "build", project, "-o", bundle, "--opa", OPA], { timeoutMs: 300_000 }), "policy build")
    revision = /revision (src-[0-9a-f]{12})/.exec(built.stdout)?.[1] ?? ""
    expect(revision).toMatch(/^src-/)
    const named = ok(await cli(["policy", "build", project, "-o", path.join(dir, "named.tar.gz"), "--revision", "team-7", "--opa", OPA], { timeoutMs: 300_000 }), "build --revision")
    expect(named.stdout).toContain("revision team-7")
  }, 600_000)

  for (const choice of choices) {
    describe.skipIf(choice.skip !== undefined)(`pushed and activated on ${choice.adapter}`, () => {
      let testDb: TestDatabase
      let server: RunningServer
      let gateToken: string
      let policyToken: string

      beforeAll(async () => {
        testDb = await choice.create()
        gateToken = (await createToken(testDb.url, "--scope", "gate:evaluate")).value
        policyToken = (await createToken(testDb.url, "--scope", "policy:write")).value
        server = await startServer({ database: testDb.url })
      }, 60_000)
      afterAll(async () => {
        await server?.stop()
        await testDb?.drop()
      })

      const gate = async (releaseId: string) => {
        const file = path.join(dir, `gate-${choice.adapter}-${releaseId}.json`)
        writeFileSync(file, JSON.stringify(passingGateRequest({ release: { releaseId, sourceSha: "9f3c8b7", renderedManifestPath: "r.yaml" } })))
        return cli(["gate", "evaluate", "--url", server.url, "--file", file, "--json"], { env: { RELEASEPASSPORT_TOKEN: gateToken } })
      }

      it("the next gate is decided by the new rule; other releases still pass", async () => {
        const before = await gate(`frozen-${choice.adapter}-1`)
        expect(before.code, before.stderr).toBe(0)

        const env = { RELEASEPASSPORT_TOKEN: policyToken, RELEASEPASSPORT_URL: server.url }
        const pushed = ok(await cli(["policy", "push", bundle], { env }), "policy push")
        const digest = pushed.stdout.trim()
        expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/)
        expect(pushed.stderr).toContain(`revision ${revision}`)
        const listedBefore = ok(await cli(["policy", "list"], { env }), "policy list")
        expect(listedBefore.stdout).toContain("active: server default bundle")
        expect(listedBefore.stdout).toContain(digest)

        const activated = ok(await cli(["policy", "activate", digest], { env }), "policy activate")
        expect(activated.stdout).toContain(`-> ${digest}`)

        const blocked = await gate(`frozen-${choice.adapter}-2`)
        expect(blocked.code, blocked.stderr).toBe(1)
        const answer = JSON.parse(blocked.stdout)
        expect(answer.blockers.map((b: { code: string }) => b.code)).toEqual(["release.frozen"])
        expect(answer.policy).toMatchObject({ revision, bundleDigest: digest })
        expect((await gate(`rel-${choice.adapter}-3`)).code).toBe(0)

        const listed = ok(await cli(["policy", "list"], { env }), "policy list")
        expect(listed.stdout).toContain(`active: ${digest}`)
        expect(listed.stdout).toMatch(/active: server default -> sha256:/)

        // Replay over what this test gated: only the release gated before activation flips.
        const replayed = ok(await cli(["policy", "replay", "--bundle", bundle, "--since", "1h"], { env }), "policy replay")
        expect(replayed.stdout).toContain("replayed 3 evaluation(s)")
        expect(replayed.stdout).toContain("1 would be decided otherwise")
        expect(replayed.stdout).toContain("pass -> fail: 1")
        expect(replayed.stdout).toContain("+ release.frozen: 1")

        // A broken upload through the CLI: refused with the server's reason, exit non-zero.
        const junk = path.join(dir, "junk.tar.gz")
        writeFileSync(junk, "not a bundle")
        const refused = await cli(["policy", "push", junk], { env })
        expect(refused.code).not.toBe(0)
        expect(refused.stderr).toContain("policy.bundle_invalid")
      }, 120_000)
    })
  }
})
