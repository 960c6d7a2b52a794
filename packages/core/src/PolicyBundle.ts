import { loadPolicy } from "@open-policy-agent/opa-wasm"
import type { LoadedPolicy } from "@open-policy-agent/opa-wasm"
import { Effect } from "effect"
import { parseTarGzip } from "nanotar"
import { withConfigOverride } from "./BundleCases.ts"
import { PolicyBundleError, PolicyEvaluationError } from "./errors.ts"

/** The entrypoint every Release Passport bundle exposes. */
export const GATE_ENTRYPOINT = "releasepassport/gate/decision"

const WASM_PAGE = 64 * 1024

export interface PolicyBundleOptions {
  /** Entrypoint to evaluate. Default `releasepassport/gate/decision`. */
  readonly entrypoint?: string
  /**
   * Upper bound on the policy's linear memory. A policy that needs more traps with
   * "out of memory" and the verdict is `error`. Default 64 MiB.
   */
  readonly memoryLimitBytes?: number
  /** Largest bundle accepted, compressed. Default 32 MiB. */
  readonly maxBundleBytes?: number
  /**
   * Replacements for top-level keys of the data's `releasepassport.config`, as a shipped case's
   * `data` gives them (see `BundleCases.ts`). Only for trials: gates decide with the data as built.
   */
  readonly configOverride?: Record<string, unknown> | undefined
}

export interface RawEvaluation {
  /** The `opa-wasm` result set: `[{ result }]`, or `[]` when the decision is undefined. */
  readonly result: unknown
  readonly durationMs: number
}

/**
 * A loaded, ready-to-evaluate OPA bundle. Keeps the compiled module so that a policy
 * instance left in an unknown state by a trap can be replaced by a fresh one.
 */
export interface PolicyBundle {
  /** The bundle's `.manifest` revision (what the policy authors called this build). */
  readonly revision: string
  /** `sha256:<hex>` of the bundle bytes as loaded: identifies exactly what decided. */
  readonly digest: string
  readonly entrypoint: string
  /** The bundle's data document (policy parameters). */
  readonly data: unknown
  /**
   * Evaluates the entrypoint. Fails with `PolicyEvaluationError` for traps and
   * out-of-memory; the raw result set otherwise (`[]` when undefined), with how long the
   * evaluation itself took (not any wait before it: the budget is the policy's).
   */
  readonly evaluateRaw: (input: unknown) => Effect.Effect<RawEvaluation, PolicyEvaluationError>
}

const toHex = (bytes: ArrayBuffer): string =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("")

const bundleError = (reason: PolicyBundleError["reason"], message: string) =>
  new PolicyBundleError({ reason, message })

// opa-wasm throws strings (and sometimes plain objects) rather than Error values.
export const describeThrown = (thrown: unknown): string => {
  if (typeof thrown === "string") return thrown
  if (thrown instanceof Error) return thrown.message
  if (typeof thrown === "object" && thrown !== null && "message" in thrown) return String(thrown.message)
  return String(thrown)
}

const classifyFailure = (thrown: unknown): PolicyEvaluationError => {
  const message = describeThrown(thrown)
  const outOfMemory = /out of memory|opa_malloc/i.test(message) ||
    (thrown instanceof RangeError && /memory/i.test(message))
  return new PolicyEvaluationError({
    reason: outOfMemory ? "out_of_memory" : "trap",
    message: outOfMemory ? `policy ran out of memory: ${message}` : `policy evaluation aborted: ${message}`
  })
}

const parseJsonFile = (bytes: Uint8Array | undefined, what: "data" | "manifest"): unknown => {
  if (bytes === undefined || bytes.byteLength === 0) return {}
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes))
  } catch (cause) {
    throw bundleError(what === "data" ? "invalid_data" : "invalid_manifest", `${what} is not valid JSON: ${describeThrown(cause)}`)
  }
}

/**
 * Loads an OPA bundle (`opa build -t wasm`: a tar.gz with `/policy.wasm`, `/data.json`,
 * `/.manifest`) from bytes. The caller reads the file; this function does no I/O.
 */
export const loadPolicyBundle = (
  bytes: Uint8Array,
  options: PolicyBundleOptions = {}
): Effect.Effect<PolicyBundle, PolicyBundleError> =>
  Effect.tryPromise({
    try: () => load(bytes, options),
    catch: (cause) =>
      cause instanceof PolicyBundleError ? cause : bundleError("not_a_bundle", describeThrown(cause))
  })

const load = async (bytes: Uint8Array, options: PolicyBundleOptions): Promise<PolicyBundle> => {
  const entrypoint = options.entrypoint ?? GATE_ENTRYPOINT
  const maxBundleBytes = options.maxBundleBytes ?? 32 * 1024 * 1024
  const maximumPages = Math.max(8, Math.floor((options.memoryLimitBytes ?? 64 * 1024 * 1024) / WASM_PAGE))
  if (bytes.byteLength > maxBundleBytes) {
    throw bundleError("too_large", `bundle is ${bytes.byteLength} bytes; the limit is ${maxBundleBytes}`)
  }

  let files: Awaited<ReturnType<typeof parseTarGzip>>
  try {
    files = await parseTarGzip(bytes)
  } catch (cause) {
    throw bundleError("not_a_bundle", `not a gzipped tar archive: ${describeThrown(cause)}`)
  }
  const file = (name: string) => files.find((f) => f.name.replace(/^\.?\//, "") === name)?.data

  const wasmBytes = file("policy.wasm")
  if (wasmBytes === undefined || wasmBytes.byteLength === 0) {
    throw bundleError("missing_policy_wasm", "bundle has no policy.wasm (build it with `opa build -t wasm`)")
  }
  const built = parseJsonFile(file("data.json"), "data")
  if (typeof built !== "object" || built === null || Array.isArray(built)) {
    throw bundleError("invalid_data", "data.json must hold a JSON object")
  }
  const data = withConfigOverride(built as Record<string, unknown>, options.configOverride)
  const manifest = parseJsonFile(file(".manifest"), "manifest") as { revision?: unknown }
  // Copies: WebCrypto and WebAssembly want bytes backed by a plain ArrayBuffer.
  const digest = `sha256:${toHex(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes)))}`
  const revision = typeof manifest.revision === "string" && manifest.revision !== ""
    ? manifest.revision
    : digest.slice(0, 19)

  let module: WebAssembly.Module
  try {
    module = await WebAssembly.compile(new Uint8Array(wasmBytes))
  } catch (cause) {
    throw bundleError("invalid_wasm", `policy.wasm does not compile: ${describeThrown(cause)}`)
  }

  const instantiate = async (): Promise<LoadedPolicy> => {
    const policy = await loadPolicy(module, { initial: 5, maximum: maximumPages })
    // Data is loaded once per instance: repeated setData is known to leak in some SDK versions.
    policy.setData(data)
    return policy
  }

  let current: LoadedPolicy
  try {
    current = await instantiate()
  } catch (cause) {
    throw bundleError("invalid_wasm", `policy.wasm cannot be instantiated: ${describeThrown(cause)}`)
  }
  if (!Object.prototype.hasOwnProperty.call(current.entrypoints, entrypoint)) {
    const known = Object.keys(current.entrypoints as object).join(", ") || "none"
    throw bundleError("missing_entrypoint", `bundle has no entrypoint ${entrypoint} (it has: ${known})`)
  }

  // After a trap the instance's memory may be mid-allocation; the next evaluation
  // waits for a fresh instance rather than trusting it.
  let replacement: Promise<LoadedPolicy> | undefined
  const replace = () => {
    const pending = instantiate().then((fresh) => (current = fresh))
    pending.catch(() => undefined) // observed by the next evaluation, never left unhandled
    replacement = pending
  }
  const run = (policy: LoadedPolicy, input: unknown) =>
    Effect.try({
      try: (): RawEvaluation => {
        const started = performance.now()
        const result = policy.evaluate(input, entrypoint) as unknown
        return { result, durationMs: performance.now() - started }
      },
      catch: (thrown) => {
        replace()
        return classifyFailure(thrown)
      }
    })
  const evaluateRaw = (input: unknown): Effect.Effect<RawEvaluation, PolicyEvaluationError> =>
    Effect.suspend(() => {
      if (replacement === undefined) return run(current, input)
      const pending = replacement
      return Effect.tryPromise({ try: () => pending, catch: classifyFailure }).pipe(
        Effect.tapError(() => Effect.sync(() => replacement === pending && replace())),
        Effect.flatMap((fresh) => {
          if (replacement === pending) replacement = undefined
          return run(fresh, input)
        })
      )
    })

  return { revision, digest, entrypoint, data, evaluateRaw }
}

/**
 * Stands in for a bundle that could not be loaded (missing file, corrupt archive, bad
 * wasm). Every evaluation fails, so every verdict is `error`: the gate fails closed
 * instead of the server pretending to have a policy.
 */
export const unavailablePolicyBundle = (reason: string, entrypoint: string = GATE_ENTRYPOINT): PolicyBundle => ({
  revision: "unavailable",
  digest: "none",
  entrypoint,
  data: {},
  evaluateRaw: () =>
    Effect.fail(new PolicyEvaluationError({ reason: "bundle_unavailable", message: `no usable policy bundle: ${reason}` }))
})
