import { Effect } from "effect"
import { createTarGzip, parseTarGzip } from "nanotar"
import { describe, expect, it } from "vitest"
import { loadPolicyBundle } from "../src/index.ts"
import type { PolicyBundleError } from "../src/index.ts"
import { defaultBundleBytes } from "./support.ts"

const failureOf = (bytes: Uint8Array, options = {}) =>
  Effect.runPromise(Effect.flip(loadPolicyBundle(bytes, options))) as Promise<PolicyBundleError>

/** The committed bundle with some of its files replaced or removed. */
const tamper = async (change: (files: Map<string, Uint8Array>) => void) => {
  const files = new Map((await parseTarGzip(defaultBundleBytes())).map((f) => [f.name.replace(/^\//, ""), f.data as Uint8Array]))
  change(files)
  return createTarGzip([...files].map(([name, data]) => ({ name: `/${name}`, data })))
}

describe("loadPolicyBundle", () => {
  it("knows the revision and the sha256 of the bytes it loaded", async () => {
    const bytes = defaultBundleBytes()
    const bundle = await Effect.runPromise(loadPolicyBundle(bytes))
    const expected = Buffer.from(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes))).toString("hex")
    expect(bundle.digest).toBe(`sha256:${expected}`)
    expect(bundle.revision).toMatch(/^src-[0-9a-f]{12}$/)
    expect(bundle.entrypoint).toBe("releasepassport/gate/decision")
    expect(bundle.data).toHaveProperty("releasepassport.config.protected_environments")
  })

  it("refuses bytes that are not a gzipped tar", async () => {
    expect((await failureOf(new TextEncoder().encode("not a bundle"))).reason).toBe("not_a_bundle")
  })

  it("refuses a truncated bundle", async () => {
    const bytes = defaultBundleBytes()
    expect((await failureOf(bytes.subarray(0, Math.floor(bytes.length / 2)))).reason).toBe("not_a_bundle")
  })

  it("refuses a bundle without policy.wasm", async () => {
    const bytes = await tamper((files) => files.delete("policy.wasm"))
    expect((await failureOf(bytes)).reason).toBe("missing_policy_wasm")
  })

  it("refuses a bundle whose wasm is not wasm", async () => {
    const bytes = await tamper((files) => files.set("policy.wasm", new TextEncoder().encode("\0asm garbage")))
    expect((await failureOf(bytes)).reason).toBe("invalid_wasm")
  })

  it("refuses a bundle whose data.json is not a JSON object", async () => {
    expect((await failureOf(await tamper((files) => files.set("data.json", new TextEncoder().encode("{nope")))))
      .reason).toBe("invalid_data")
    expect((await failureOf(await tamper((files) => files.set("data.json", new TextEncoder().encode("[1]"))))).reason)
      .toBe("invalid_data")
  })

  it("refuses a bundle without the requested entrypoint, naming the ones it has", async () => {
    const error = await failureOf(defaultBundleBytes(), { entrypoint: "releasepassport/other/decision" })
    expect(error.reason).toBe("missing_entrypoint")
    expect(error.message).toContain("releasepassport/gate/decision")
  })

  it("refuses a bundle over the size limit before unpacking it", async () => {
    expect((await failureOf(defaultBundleBytes(), { maxBundleBytes: 100 })).reason).toBe("too_large")
  })
})
