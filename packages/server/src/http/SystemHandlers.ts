import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../api/Api.ts"
import { ProblemCodes, ServiceUnavailable } from "../api/Problems.ts"
import { PolicyEngine } from "../policy/PolicyEngine.ts"
import { WorkspacePolicies } from "../policy/WorkspacePolicies.ts"
import { DatabaseHealth } from "./DatabaseHealth.ts"

export const SystemHandlers = HttpApiBuilder.group(
  Api,
  "system",
  Effect.fn(function*(handlers) {
    const engine = yield* PolicyEngine
    const database = yield* DatabaseHealth
    const workspacePolicies = yield* WorkspacePolicies
    return handlers
      .handle("healthz", () => Effect.succeed({ status: "ok" as const }))
      .handle("readyz", () =>
        Effect.gen(function*() {
          const reachable = yield* database.ping
          if (!reachable) {
            return yield* new ServiceUnavailable({ code: ProblemCodes.storeUnavailable, detail: "The database is unavailable." })
          }
          const status = engine.status
          if (!status.loaded) {
            return yield* new ServiceUnavailable({
              code: ProblemCodes.policyUnavailable,
              detail: "No usable policy bundle is loaded; every gate answers verdict error."
            })
          }
          return {
            status: "ready" as const,
            database: "ok" as const,
            policy: { revision: status.revision, bundleDigest: status.bundleDigest, workspaceProblems: workspacePolicies.problems() }
          }
        }))
  })
)
