import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { passingRequest, repoFile } from "./support.ts"

// The README's example, extracted as written, run from inside the package so that
// `@releasepassport/core` resolves to the built package like it would for a user.
const readme = readFileSync(repoFile("packages/core/README.md"), "utf8")
const example = /```js\n(\/\/ deploy-gate\.mjs[\s\S]*?)```/.exec(readme)?.[1]
const scriptFile = repoFile(`packages/core/.readme-example-${process.pid}.mjs`)
const work = mkdtempSync(path.join(tmpdir(), "rp-readme-"))

beforeAll(() => {
  if (example !== undefined) writeFileSync(scriptFile, example)
})
afterAll(() => {
  rmSync(scriptFile, { force: true })
  rmSync(work, { recursive: true, force: true })
})

const runExample = (request: unknown) => {
  const requestFile = path.join(work, `request-${Math.random()}.json`)
  writeFileSync(requestFile, JSON.stringify(request))
  return spawnSync(process.execPath, [scriptFile, repoFile("policies/bundle/bundle.tar.gz"), requestFile], { encoding: "utf8" })
}

describe("the core README's deploy-script example", () => {
  it("is in the README", () => {
    expect(example).toContain("evaluateGate(bundle")
  })

  it("lets a passing release through (exit 0)", () => {
    const result = runExample(passingRequest())
    expect(result.stderr).toBe("")
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(/^pass \(policy src-[0-9a-f]{12}, sha256:[0-9a-f]{64}\)/)
  })

  it("stops a release the policies block under enforce (exit 1), naming the blocker", () => {
    const result = runExample(passingRequest({ artifact: { digest: "latest" } }))
    expect(result.status).toBe(1)
    expect(result.stderr).toContain("blocker artifact.digest_invalid")
    expect(result.stdout).toMatch(/^fail /)
  })
})
