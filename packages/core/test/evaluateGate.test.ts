import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { evaluateGate, HostCodes } from "../src/index.ts"
import type { GateMode } from "../src/index.ts"
import { defaultBundleBytes, fixtureBytes, loadBundle, passingRequest, passportFor } from "./support.ts"

const NOW = new Date("2026-11-28T12:00:00Z")

const evaluate = async (bytes: Uint8Array, mode: GateMode, options: { budgetMs?: number; memoryLimitBytes?: number; releaseId?: string } = {}) => {
  const bundle = await loadBundle(bytes, options.memoryLimitBytes !== undefined ? { memoryLimitBytes: options.memoryLimitBytes } : {})
  const request = passingRequest({ mode, release: { releaseId: options.releaseId ?? "gh-1", sourceSha: "9f3c8b7" } })
  return Effect.runPromise(
    evaluateGate(bundle, { request, passport: passportFor(request), now: NOW }, options.budgetMs !== undefined ? { budgetMs: options.budgetMs } : {})
  )
}

describe("evaluateGate with the bundled policies", () => {
  it("passes a healthy, verified staging release and records which policy decided", async () => {
    const bundle = await loadBundle(defaultBundleBytes())
    const request = passingRequest()
    const verdict = await Effect.runPromise(evaluateGate(bundle, { request, passport: passportFor(request), now: NOW }))
    expect(verdict).toMatchObject({ verdict: "pass", allowed: true, wouldBlock: false, blockers: [], warnings: [] })
    expect(verdict.policy.revision).toMatch(/^src-[0-9a-f]{12}$/)
    expect(verdict.policy.bundleDigest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(verdict.evaluatedAt).toBe(NOW.toISOString())
  })

  it("blocks under enforce and only reports under shadow, with the same findings", async () => {
    const bundle = await loadBundle(defaultBundleBytes())
    const run = (mode: GateMode) => {
      const request = passingRequest({ mode, artifact: { digest: "sha256:abc123..." } })
      return Effect.runPromise(evaluateGate(bundle, { request, passport: passportFor(request), now: NOW }))
    }
    const [enforce, shadow] = [await run("enforce"), await run("shadow")]
    expect(enforce).toMatchObject({ verdict: "fail", allowed: false, wouldBlock: true })
    expect(shadow).toMatchObject({ verdict: "fail", allowed: true, wouldBlock: true })
    expect(shadow.blockers).toEqual(enforce.blockers)
    expect(enforce.blockers.map((b) => b.code)).toEqual(["artifact.digest_invalid"])
    expect(enforce.blockers[0]).toMatchObject({ policy: "gate/artifact" })
    expect(enforce.blockers[0]?.remediation).toBeTruthy()
  })

  it("warns without blocking when only warnings fire", async () => {
    const bundle = await loadBundle(defaultBundleBytes())
    const request = passingRequest({ rollback: { available: true, verified: false } })
    const verdict = await Effect.runPromise(evaluateGate(bundle, { request, passport: passportFor(request), now: NOW }))
    expect(verdict).toMatchObject({ verdict: "warn", allowed: true, wouldBlock: false, blockers: [] })
    expect(verdict.warnings.map((w) => w.code)).toEqual(["rollback.unverified"])
  })
})

describe("a policy that cannot decide gives verdict error (fail closed)", () => {
  const failures: Array<[string, () => Promise<Awaited<ReturnType<typeof evaluate>>>, RegExp]> = [
    ["undefined decision", () => evaluate(fixtureBytes("undefined"), "enforce"), /undefined/],
    ["decision that is not {deny, warn}", () => evaluate(fixtureBytes("malformed"), "enforce"), /not \{deny/],
    ["deny items without a code", () => evaluate(fixtureBytes("malformed_items"), "enforce"), /not \{deny/],
    ["wasm trap (conflicting rule values)", () => evaluate(fixtureBytes("trap"), "enforce", { releaseId: "trap" }), /aborted: .*conflict/],
    [
      "out of memory",
      () => evaluate(fixtureBytes("hungry"), "enforce", { memoryLimitBytes: 8 * 1024 * 1024 }),
      /out of memory/
    ],
    ["evaluation over its time budget", () => evaluate(fixtureBytes("slow"), "enforce", { budgetMs: 5 }), /budget is 5 ms/]
  ]

  it.each(failures)("%s", async (_name, run, message) => {
    const verdict = await run()
    expect(verdict).toMatchObject({ verdict: "error", allowed: false, wouldBlock: true, warnings: [] })
    expect(verdict.blockers).toHaveLength(1)
    expect(verdict.blockers[0]).toMatchObject({ code: HostCodes.evaluationFailed, policy: "host" })
    expect(verdict.blockers[0]?.message).toMatch(message)
  })

  it("shadow still reports the error verdict but does not block", async () => {
    const verdict = await evaluate(fixtureBytes("undefined"), "shadow")
    expect(verdict).toMatchObject({ verdict: "error", allowed: true, wouldBlock: true })
  })

  it("the slow policy decides when the budget allows it (the budget, not the policy, made it fail)", async () => {
    const verdict = await evaluate(fixtureBytes("slow"), "enforce", { budgetMs: 60_000 })
    expect(verdict).toMatchObject({ verdict: "pass", allowed: true })
  })

  it("after a trap the bundle answers the next request from a fresh instance", async () => {
    const bundle = await loadBundle(fixtureBytes("trap"))
    const run = (releaseId: string) => {
      const request = passingRequest({ release: { releaseId, sourceSha: "9f3c8b7" } })
      return Effect.runPromise(evaluateGate(bundle, { request, passport: passportFor(request), now: NOW }))
    }
    expect((await run("trap")).verdict).toBe("error")
    expect((await run("fine")).verdict).toBe("pass")
    expect((await run("trap")).verdict).toBe("error")
    expect((await run("fine")).verdict).toBe("pass")
  })
})
