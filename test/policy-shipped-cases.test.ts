import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { parseTarGzip } from "nanotar"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { cli, createToken, passingGateRequest, rawPost, readAnswer, REPO, startServer } from "@releasepassport/testing"
import type { CliResult, RawAnswer, RunningServer } from "@releasepassport/testing"

/**
 * A bundle carries its project's cases (`policy build` packs cases/gate-cases.json at
 * cases/gate-cases.json) and the server runs every one of them on upload: a bundle whose rule
 * was edited so that its own cases disagree is refused, naming the case, what it expects and
 * what it got, and nothing changes; the active bundle keeps deciding.
 */
const OPA = path.join(REPO, "scripts/opa.sh")

const ok = (result: CliResult, what: string) => {
  expect(result.code, `${what}:\n${result.stdout}\n${result.stderr}`).toBe(0)
  return result
}

describe("bundles ship their own cases, and an upload runs them", () => {
  let dir: string
  let project: string
  let server: RunningServer
  let gateToken: string
  let policyToken: string
  let goodDigest: string

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "rp-shipped-cases-"))
    project = path.join(dir, "policies")
    const database = `sqlite:${path.join(dir, "rp.db")}`
    gateToken = (await createToken(database, "--scope", "gate:evaluate")).value
    policyToken = (await createToken(database, "--scope", "policy:write")).value
    server = await startServer({ database })
    ok(await cli(["policy", "init", project]), "policy init")
  }, 60_000)
  afterAll(async () => {
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const build = async (name: string) => {
    const output = path.join(dir, name)
    ok(await cli(["policy", "build", project, "-o", output, "--opa", OPA], { timeoutMs: 300_000 }), `policy build ${name}`)
    return readFileSync(output)
  }
  const upload = async (bytes: Uint8Array): Promise<RawAnswer> =>
    readAnswer(await fetch(`${server.url}/releasepassport/v1/policies/bundles`, {
      method: "PUT",
      body: new Uint8Array(bytes),
      headers: { authorization: `Bearer ${policyToken}`, "content-type": "application/gzip" }
    }))
  const overview = async () =>
    readAnswer(await fetch(`${server.url}/releasepassport/v1/policies`, { headers: { authorization: `Bearer ${policyToken}` } }))
  const notReadyGate = () =>
    rawPost(
      `${server.url}/releasepassport/v1/gate/evaluate`,
      JSON.stringify(passingGateRequest({ health: { ready: false, requireHealthyTarget: true } })),
      { authorization: `Bearer ${gateToken}` }
    )

  it("policy build packs the project's cases file, byte for byte, at cases/gate-cases.json", async () => {
    const bytes = await build("good.tar.gz")
    const files = await parseTarGzip(bytes)
    const shipped = files.find((file) => file.name.replace(/^\//, "") === "cases/gate-cases.json")
    expect(shipped, files.map((file) => file.name).join(", ")).toBeDefined()
    expect(Buffer.from(shipped!.data!).equals(readFileSync(path.join(project, "cases/gate-cases.json")))).toBe(true)
    // opa still reads the bundle (it ignores the file it does not know).
    expect(files.map((file) => file.name.replace(/^\//, ""))).toEqual(expect.arrayContaining(["policy.wasm", "data.json", ".manifest"]))
  }, 300_000)

  it("a bundle whose cases hold is accepted, and decides once active", async () => {
    const uploaded = await upload(readFileSync(path.join(dir, "good.tar.gz")))
    expect(uploaded.status, uploaded.text).toBe(200)
    goodDigest = uploaded.json.bundle.digest
    const activated = await rawPost(`${server.url}/releasepassport/v1/policies/bundles/${encodeURIComponent(goodDigest)}/activate`, "", { authorization: `Bearer ${policyToken}` })
    expect(activated.status, activated.text).toBe(200)
    const answer = await notReadyGate()
    expect(answer.json).toMatchObject({ verdict: "fail", policy: { bundleDigest: goodDigest } })
    expect(answer.json.blockers.map((b: { code: string }) => b.code)).toEqual(["health.target_not_ready"])
  })

  it("a bundle whose rule was edited so its own cases disagree is refused (422, the case, expected vs got), nothing changes", async () => {
    // The health rule becomes a warning: every case expecting it as a blocker now disagrees.
    const rule = path.join(project, "src", "health.rego")
    writeFileSync(rule, readFileSync(rule, "utf8").replace("deny contains result if", "warn contains result if"))
    const edited = await build("edited.tar.gz")
    const before = await overview()

    const refused = await upload(edited)
    expect(refused.status, refused.text).toBe(422)
    expect(refused.headers.get("content-type")).toContain("application/problem+json")
    expect(refused.json.code).toBe("policy.bundle_invalid")
    expect(refused.json.detail).toContain("(cases)")
    const message: string = refused.json.errors?.[0]?.message ?? ""
    const match = /^cases: case "(.+)": expected deny \[(.*)\] warn \[(.*)\], got deny \[(.*)\] warn \[(.*)\]$/.exec(message)
    expect(match, message).not.toBeNull()
    const [, name, expectedDeny, , gotDeny, gotWarn] = match!
    const cases = JSON.parse(readFileSync(path.join(project, "cases/gate-cases.json"), "utf8")) as Array<{ name: string; expect: { deny: Array<string> } }>
    const named = cases.find((c) => c.name === name)
    expect(named, `the refusal names a case of the bundle: ${name}`).toBeDefined()
    expect(expectedDeny).toBe([...named!.expect.deny].sort().join(", "))
    expect(expectedDeny).toContain("health.target_not_ready")
    expect(gotDeny).not.toContain("health.target_not_ready")
    expect(gotWarn).toContain("health.target_not_ready")

    // Nothing stored, nothing moved: the active bundle keeps deciding.
    expect((await overview()).json).toEqual(before.json)
    const answer = await notReadyGate()
    expect(answer.json).toMatchObject({ verdict: "fail", policy: { bundleDigest: goodDigest } })
  }, 300_000)

  it("a cases file that is not cases is refused too, rather than skipped", async () => {
    writeFileSync(path.join(project, "cases/gate-cases.json"), JSON.stringify({ not: "a list of cases" }))
    const refused = await upload(await build("unreadable.tar.gz"))
    expect(refused.status, refused.text).toBe(422)
    expect(refused.json).toMatchObject({ code: "policy.bundle_invalid", errors: [{ message: expect.stringMatching(/^cases: cases\/gate-cases\.json is not an array/) }] })
  }, 300_000)
})
