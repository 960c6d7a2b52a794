import { loadPolicyBundle, unavailablePolicyBundle } from "@releasepassport/core"
import type { PolicyBundle } from "@releasepassport/core"
import { Context, Effect, Layer } from "effect"
import { readFile } from "node:fs/promises"
import { ServerConfig } from "../ServerConfig.ts"
import { makePolicyWorkerPool, policyWorkerAvailable } from "./PolicyWorkerPool.ts"

const DEADLINE_GRACE_MS = 50

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
            Effect.map((bundle) => ({ bytes, bundle })),
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
      // The threads get the very bytes loaded here, so the digest reported is what they evaluate
      // even if the file changes meanwhile (and the file is read once).
      const { bytes, bundle: inProcess } = loaded.success
      const bundle = config.policyThreads > 0 && policyWorkerAvailable()
        ? yield* Effect.acquireRelease(
          Effect.sync(() =>
            makePolicyWorkerPool(inProcess, {
              bytes,
              memoryLimitBytes: config.policyMemoryLimitBytes,
              threads: config.policyThreads,
              // A little past the budget: the budget itself is enforced on the measured time, this
              // deadline only stops evaluations that would otherwise never hand the thread back.
              deadlineMs: config.policyBudgetMs + DEADLINE_GRACE_MS,
              onRestart: (reason) => Effect.runFork(Effect.logWarning(`policy thread replaced: ${reason}`))
            })
          ),
          (pool) => Effect.promise(() => pool.close())
        ).pipe(
          // Listen only once the threads can evaluate; if they cannot start, evaluate in-process.
          Effect.tap((pool) => Effect.tryPromise(() => pool.ready(30_000))),
          Effect.catch((error) =>
            Effect.logWarning(`policy threads unavailable, evaluating in the request loop: ${String(error)}`).pipe(
              Effect.as(inProcess)
            )
          )
        )
        : inProcess
      yield* Effect.logInfo(
        `policy bundle loaded: revision ${bundle.revision}, ${bundle.digest}; ${
          bundle === inProcess ? "evaluated in the request loop" : `evaluated on ${config.policyThreads} thread(s)`
        }`
      )
      return PolicyEngine.of({
        bundle,
        status: { loaded: true, revision: bundle.revision, bundleDigest: bundle.digest },
        budgetMs: config.policyBudgetMs
      })
    })
  )
}
