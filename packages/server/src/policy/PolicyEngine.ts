import { loadPolicyBundle, unavailablePolicyBundle } from "@releasepassport/core"
import type { PolicyBundle } from "@releasepassport/core"
import { Context, Effect, Layer } from "effect"
import { readFile } from "node:fs/promises"
import { ServerConfig } from "../ServerConfig.ts"

export type PolicyStatus =
  | { readonly loaded: true; readonly revision: string; readonly bundleDigest: string }
  | { readonly loaded: false; readonly reason: string }

/**
 * The policy bundle the server decides with. A bundle that cannot be read or loaded does
 * not stop the server: every gate answers verdict `error` (fail closed) and `/readyz`
 * reports not ready, so the problem is loud without silently letting releases through.
 */
export class PolicyEngine extends Context.Service<PolicyEngine, {
  readonly bundle: PolicyBundle
  readonly status: PolicyStatus
  readonly budgetMs: number
}>()("@releasepassport/server/PolicyEngine") {
  static readonly layer = Layer.effect(
    PolicyEngine,
    Effect.gen(function*() {
      const config = yield* ServerConfig
      const loaded = yield* Effect.tryPromise({
        try: () => readFile(config.policyBundlePath),
        catch: (error) => `cannot read ${config.policyBundlePath}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`
      }).pipe(
        Effect.flatMap((bytes) =>
          loadPolicyBundle(bytes, { memoryLimitBytes: config.policyMemoryLimitBytes }).pipe(
            Effect.mapError((error) => `${config.policyBundlePath}: ${error.message}`)
          )
        ),
        Effect.result
      )
      if (loaded._tag === "Failure") {
        yield* Effect.logError(`policy bundle unavailable, every gate will answer verdict "error": ${loaded.failure}`)
        return PolicyEngine.of({
          bundle: unavailablePolicyBundle(loaded.failure),
          status: { loaded: false, reason: loaded.failure },
          budgetMs: config.policyBudgetMs
        })
      }
      const bundle = loaded.success
      yield* Effect.logInfo(`policy bundle loaded: revision ${bundle.revision}, ${bundle.digest}`)
      return PolicyEngine.of({
        bundle,
        status: { loaded: true, revision: bundle.revision, bundleDigest: bundle.digest },
        budgetMs: config.policyBudgetMs
      })
    })
  )
}
