import { Effect } from "effect"
import { createTarGzip, parseTarGzip } from "nanotar"
import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { evaluateGate } from "../src/index.ts"
import type { ConnectorFacts, EvidenceFacts, GateRequest, PassportFacts, PolicyBundle } from "../src/index.ts"
import { defaultBundleBytes, loadBundle, repoFile } from "./support.ts"

interface PolicyCase {
  readonly name: string
  readonly input: {
    readonly request: GateRequest
    readonly passport: PassportFacts
    readonly evidence?: ReadonlyArray<EvidenceFacts & { readonly ageSeconds: unknown }>
    readonly connectors?: ReadonlyArray<ConnectorFacts>
    readonly now: string
  }
  readonly data?: Record<string, unknown>
  readonly expect: { readonly deny: ReadonlyArray<string>; readonly warn: ReadonlyArray<string> }
}

const cases = JSON.parse(readFileSync(repoFile("policies/cases/gate-cases.json"), "utf8")) as Array<PolicyCase>

/**
 * Core computes `ageSeconds` itself from `observedAt` and `now`, so a case can run through
 * core only when its ages agree with its timestamps. The cases that set an age the host
 * would never compute (to test how the policy treats a bad value) are written down here.
 */
const hostComputesAge = (c: PolicyCase) =>
  (c.input.evidence ?? []).every((e) =>
    e.ageSeconds === Math.max(0, Math.floor((Date.parse(c.input.now) - Date.parse(e.observedAt)) / 1000))
  )
const KNOWN_NOT_THROUGH_CORE = cases.filter((c) => !hostComputesAge(c)).map((c) => c.name)

/** The bundle with its data's config replaced key by key, repacked and loaded like any other. */
const bundleWithConfig = async (overrides: Record<string, unknown>): Promise<PolicyBundle> => {
  const files = await parseTarGzip(defaultBundleBytes())
  const repacked = files.map((f) => {
    if (f.name.replace(/^\//, "") !== "data.json") return { name: f.name, data: f.data as Uint8Array }
    const data = JSON.parse(new TextDecoder().decode(f.data)) as { releasepassport: { config: Record<string, unknown> } }
    data.releasepassport.config = { ...data.releasepassport.config, ...overrides }
    return { name: f.name, data: new TextEncoder().encode(JSON.stringify(data)) }
  })
  return loadBundle(await createTarGzip(repacked))
}

describe("policies/cases through core's evaluateGate", () => {
  it("only cases with ages the host could not compute are left to the raw wasm and opa tests", () => {
    expect(KNOWN_NOT_THROUGH_CORE.length).toBeLessThanOrEqual(2)
    for (const name of KNOWN_NOT_THROUGH_CORE) expect(name).toMatch(/age/i)
  })

  it.each(cases.filter(hostComputesAge).map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const bundle = c.data === undefined ? await loadBundle(defaultBundleBytes()) : await bundleWithConfig(c.data)
    const verdict = await Effect.runPromise(
      evaluateGate(bundle, {
        request: c.input.request,
        passport: c.input.passport,
        evidence: (c.input.evidence ?? []).map(({ ageSeconds: _age, ...item }) => item),
        connectors: c.input.connectors ?? [],
        now: new Date(c.input.now)
      })
    )
    expect(verdict.verdict).not.toBe("error")
    expect(verdict.blockers.map((b) => b.code).sort()).toEqual([...c.expect.deny].sort())
    expect(verdict.warnings.map((w) => w.code).sort()).toEqual([...c.expect.warn].sort())
    expect(verdict.verdict).toBe(c.expect.deny.length > 0 ? "fail" : c.expect.warn.length > 0 ? "warn" : "pass")
  })
})
