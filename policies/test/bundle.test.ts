// Runs the committed wasm bundle through the raw SDK, the way packages/core loads it, against
// every shared case in policies/cases/gate-cases.json. Needs no opa binary.
import { readFileSync } from "node:fs"
import path from "node:path"
import { loadPolicy } from "@open-policy-agent/opa-wasm"
import fc from "fast-check"
import { parseTarGzip } from "nanotar"
import { beforeAll, describe, expect, it } from "vitest"
import { bundleFile, casesFile, entrypoint, repoRoot, sourceRevision, srcDir } from "../scripts/lib.mjs"

type LoadedPolicy = Awaited<ReturnType<typeof loadPolicy>>
type Finding = { code: string; policy: string; message: string; remediation?: string; evidence?: Array<string> }
type Decision = { deny: Array<Finding>; warn: Array<Finding> }
type Config = Record<string, unknown>
type GateCase = {
  name: string
  data?: Config
  input: Record<string, unknown>
  expect: { deny: Array<string>; warn: Array<string> }
}
type Manifest = { revision: string; roots: Array<string>; wasm: Array<{ entrypoint: string; module: string }> }

const cases: Array<GateCase> = JSON.parse(readFileSync(path.join(repoRoot, casesFile), "utf8"))

let files: Map<string, Uint8Array>
let shippedConfig: Config
const policies = new Map<string, LoadedPolicy>()

const text = (name: string) => {
  const bytes = files.get(name)
  if (bytes === undefined) throw new Error(`${bundleFile} has no ${name}`)
  return new TextDecoder().decode(bytes)
}

// opa-wasm loader errors are thrown as strings; make them readable failures.
const load = async (config: Config): Promise<LoadedPolicy> => {
  try {
    const policy = await loadPolicy(files.get("policy.wasm")!)
    policy.setData({ releasepassport: { config } })
    return policy
  } catch (error) {
    throw new Error(`loading policy.wasm failed: ${typeof error === "string" ? error : String(error)}`)
  }
}

// One instance per distinct config, each given its data once (repeated setData can leak).
// A case's "data" replaces top-level keys of the shipped config, as in policies/src/cases_test.rego.
const policyFor = async (gateCase: GateCase): Promise<LoadedPolicy> => {
  const key = gateCase.data === undefined ? "" : JSON.stringify(gateCase.data)
  let policy = policies.get(key)
  if (policy === undefined) {
    policy = await load({ ...shippedConfig, ...gateCase.data })
    policies.set(key, policy)
  }
  return policy
}

const decide = (policy: LoadedPolicy, input: unknown): Decision | undefined => {
  const results: Array<{ result: Decision }> = policy.evaluate(input, entrypoint)
  return results[0]?.result
}

const codes = (findings: ReadonlyArray<Finding>) => findings.map((finding) => finding.code).sort()

beforeAll(async () => {
  const entries = await parseTarGzip(readFileSync(path.join(repoRoot, bundleFile)))
  files = new Map(entries.map((entry) => [entry.name.replace(/^\/+/, ""), entry.data ?? new Uint8Array()]))
  shippedConfig = JSON.parse(text("data.json")).releasepassport.config
})

describe("committed policy bundle", () => {
  it("holds the wasm module, data and a manifest naming the entrypoint and the source revision", () => {
    const manifest: Manifest = JSON.parse(text(".manifest"))
    expect(manifest.wasm).toEqual([expect.objectContaining({ entrypoint, module: "/policy.wasm" })])
    expect(manifest.revision).toMatch(/^src-[0-9a-f]{12}$/)
    // Sources edited without npm run policies:build show up here even where opa is not installed.
    expect(manifest.revision, "policies/bundle is stale: run npm run policies:build").toBe(sourceRevision())
    expect(JSON.parse(text("data.json"))).toEqual(JSON.parse(readFileSync(path.join(repoRoot, srcDir, "data.json"), "utf8")))
  })

  it("needs no built-in implemented in JavaScript", async () => {
    // The module lists the built-ins it imports from the host; the SDK implements only a few
    // (sprintf, regex.split, json.is_valid, yaml.*) and any other would fail at evaluation.
    const policy = await policyFor({ name: "", input: {}, expect: { deny: [], warn: [] } })
    const instance = policy.wasmInstance as WebAssembly.Instance
    const exports = instance.exports as unknown as {
      builtins: () => number
      opa_json_dump: (address: number) => number
    }
    const start = exports.opa_json_dump(exports.builtins())
    const memory = new Uint8Array(policy.mem.buffer)
    const end = memory.indexOf(0, start)
    expect(JSON.parse(new TextDecoder().decode(memory.subarray(start, end)))).toEqual({})
  })

  it("leaves the decision undefined when input.request is not an object", async () => {
    const policy = await load(shippedConfig)
    expect(policy.evaluate({ now: "2025-06-01T12:00:00Z" }, entrypoint)).toEqual([])
  })

  it("has cases to run", () => {
    expect(cases.length).toBeGreaterThanOrEqual(30)
  })

  it.each(cases.map((gateCase) => [gateCase.name, gateCase] as const))("case: %s", async (_name, gateCase) => {
    const decision = decide(await policyFor(gateCase), gateCase.input)
    expect(decision, "decision must be defined").toBeDefined()
    expect({ deny: codes(decision!.deny), warn: codes(decision!.warn) }).toEqual(gateCase.expect)
    for (const finding of [...decision!.deny, ...decision!.warn]) {
      expect(Object.keys(finding).sort()).toEqual(
        finding.evidence === undefined
          ? ["code", "message", "policy", "remediation"]
          : ["code", "evidence", "message", "policy", "remediation"]
      )
      expect(finding.policy).toMatch(/^gate\//)
      expect(finding.message).not.toBe("")
      if (finding.evidence !== undefined) expect(finding.evidence.length).toBeGreaterThan(0)
    }
  })

  // valid_digest uses string built-ins instead of regex.match (which opa-wasm compiles on every
  // evaluation). The pattern it replaced is the oracle: the wasm must decide exactly like it on
  // near misses (lengths 62-66, one stray char, other prefixes, non-ASCII) and on any value at all.
  it("decides artifact.digest_invalid exactly as ^sha256:[0-9a-f]{64}$ would", async () => {
    const passing = cases.find((gateCase) => gateCase.name === "fully passing production promotion")
    expect(passing, "the fully passing case").toBeDefined()
    const policy = await policyFor(passing!)
    const request = passing!.input.request as Record<string, unknown>
    const flagged = (digest: unknown) => {
      const decision = decide(policy, { ...passing!.input, request: { ...request, artifact: { digest } } })
      expect(decision, "decision must be defined").toBeDefined()
      return decision!.deny.some((finding) => finding.code === "artifact.digest_invalid")
    }
    const pattern = /^sha256:[0-9a-f]{64}$/
    const chars = fc.constantFrom(..."0123456789abcdefABCDEFgxz:é\n 0".split(""), "\u{1F600}")
    const nearMiss = fc.tuple(
      fc.constantFrom("sha256:", "SHA256:", "sha256", "sha512:", "", " sha256:", "sha256:sha256:"),
      fc.stringMatching(/^[0-9a-f]{62,66}$/),
      fc.array(fc.tuple(fc.nat(70), chars), { maxLength: 2 })
    ).map(([prefix, hex, edits]) => {
      // Edited by code point: splitting a surrogate pair would test opa-wasm's JSON parser
      // (it rejects a lone surrogate for any rule), not the digest check.
      const points = Array.from(prefix + hex)
      for (const [at, char] of edits) points.splice(at, 1, char)
      return points.join("")
    })
    const digest = fc.oneof(fc.stringMatching(pattern), nearMiss, fc.string({ unit: "grapheme", maxLength: 80 }), fc.anything())
    let valid = 0
    fc.assert(
      fc.property(digest, (value) => {
        const expected = !(typeof value === "string" && pattern.test(value))
        if (!expected) valid++
        return flagged(value) === expected
      }),
      { numRuns: 3000, seed: 15 }
    )
    // The generator must reach the valid side too, or the property proves half of nothing.
    expect(valid).toBeGreaterThan(300)
  })
})
