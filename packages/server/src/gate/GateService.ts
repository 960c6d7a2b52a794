import { ConnectorStore, connectorFreshness, evaluateGate, PassportStore } from "@releasepassport/core"
import type { ApiToken, GateRequest, StoreUnavailable } from "@releasepassport/core"
import { Clock, Context, Effect, Layer } from "effect"
import type { GateResponse } from "../api/GateApi.ts"
import { PolicyEngine } from "../policy/PolicyEngine.ts"

/**
 * The gate use case: record the request on the release's passport and decide, in one
 * transaction, then answer with the verdict.
 */
export class GateService extends Context.Service<GateService, {
  readonly evaluate: (request: GateRequest, token: ApiToken) => Effect.Effect<GateResponse, StoreUnavailable>
}>()("@releasepassport/server/GateService") {
  static readonly layer = Layer.effect(
    GateService,
    Effect.gen(function*() {
      const passports = yield* PassportStore
      const connectorStore = yield* ConnectorStore
      const engine = yield* PolicyEngine
      return GateService.of({
        evaluate: Effect.fn("GateService.evaluate")(function*(request: GateRequest, token: ApiToken) {
          const now = new Date(yield* Clock.currentTimeMillis)
          // Freshness is advisory (a warning), so it is read before, not inside, the transaction.
          const connectors = (yield* connectorStore.connectors(token.workspaceId)).map((connector) => ({
            source: connector.source,
            freshness: connectorFreshness(connector, now),
            environments: connector.environments
          }))
          const { passport, evaluation } = yield* passports.recordGateEvaluation({
            workspaceId: token.workspaceId,
            service: { namespace: request.service.namespace, name: request.service.name },
            releaseId: request.release.releaseId,
            artifactDigest: request.artifact.digest,
            sourceSha: request.release.sourceSha,
            environment: request.service.environment,
            request,
            tokenId: token.id,
            now,
            decide: (facts) =>
              evaluateGate(engine.bundle, {
                request,
                passport: facts.passport,
                evidence: facts.evidence,
                connectors,
                now
              }, { budgetMs: engine.budgetMs })
          })
          return {
            evaluationId: evaluation.id,
            passportId: passport.id,
            mode: evaluation.mode,
            verdict: evaluation.verdict,
            allowed: evaluation.allowed,
            wouldBlock: evaluation.wouldBlock,
            blockers: evaluation.blockers,
            warnings: evaluation.warnings,
            policy: {
              revision: evaluation.policyRevision,
              bundleDigest: evaluation.bundleDigest,
              entrypoint: engine.bundle.entrypoint
            },
            evaluatedAt: evaluation.evaluatedAt,
            service: request.service,
            release: { releaseId: request.release.releaseId, sourceSha: request.release.sourceSha },
            artifact: { digest: request.artifact.digest }
          }
        })
      })
    })
  )
}
