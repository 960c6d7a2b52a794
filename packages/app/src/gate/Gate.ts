import { buildPolicyInput, ConnectorStore, connectorFreshness, evaluatePolicyInput, PassportStore } from "@releasepassport/core"
import type { ApiToken, GateRequest, StoreUnavailable } from "@releasepassport/core"
import { Clock, Context, Effect, Layer } from "effect"
import type { SecretInIdentifier } from "../errors.ts"
import { verdictOf } from "../passports/PassportViews.ts"
import { GatePolicy } from "../ports/GatePolicy.ts"
import { admit } from "../StorageText.ts"
import { UseCaseMetrics } from "../ports/UseCaseMetrics.ts"
import type { GateResponse } from "./GateOutcome.ts"

/**
 * The gate use case. Reads the facts (passport, latest evidence, connectors), evaluates the
 * policy outside any transaction, then records the evaluation and the passport's stamp in one
 * short write transaction. Policy time therefore never holds the database's write lock; an
 * evidence write that lands between the read and the record is not lost: the evaluation keeps
 * the ids of the evidence it saw, and the passport's timeline shows the rest.
 */
/** Only a release's very first requests can find their facts stale, and only once. */
const MAX_ATTEMPTS = 3

export class Gate extends Context.Service<Gate, {
  readonly evaluate: (
    request: GateRequest,
    token: ApiToken
  ) => Effect.Effect<GateResponse, StoreUnavailable | SecretInIdentifier>
}>()("@releasepassport/app/Gate") {
  static readonly layer = Layer.effect(
    Gate,
    Effect.gen(function*() {
      const passports = yield* PassportStore
      const connectorStore = yield* ConnectorStore
      const policy = yield* GatePolicy
      const metrics = yield* UseCaseMetrics
      return Gate.of({
        evaluate: Effect.fn("Gate.evaluate")(function*(presented: GateRequest, token: ApiToken) {
          // Every string of a gate request names something (service, environment, release,
          // artifact, manifest path) and is stored with the evaluation: the identifier rule.
          const request = (yield* admit(presented)).value
          const identity = {
            workspaceId: token.workspaceId,
            service: { namespace: request.service.namespace, name: request.service.name },
            releaseId: request.release.releaseId,
            artifactDigest: request.artifact.digest,
            sourceSha: request.release.sourceSha
          }
          const { bundle, budgetMs, candidate } = yield* policy.forWorkspace(token.workspaceId)
          // A release's first requests can race to create its passport; the losers decided on a
          // passport that never was, so they read the facts again (the second read finds it).
          for (let attempt = 1;; attempt++) {
            const now = new Date(yield* Clock.currentTimeMillis)
            const [facts, connectors] = yield* Effect.all([
              passports.gateFacts({ ...identity, now }),
              connectorStore.connectors(token.workspaceId)
            ])
            const context = {
              request,
              passport: facts.passport,
              evidence: facts.evidence,
              connectors: connectors.map((connector) => ({
                source: connector.source,
                freshness: connectorFreshness(connector, now),
                environments: connector.environments
              })),
              now
            }
            // The candidate sees exactly the active bundle's input, on another policy thread at the same time.
            const input = buildPolicyInput(context)
            const [verdict, shadow] = yield* Effect.all([
              evaluatePolicyInput(bundle, input, { budgetMs }),
              candidate === undefined ? Effect.succeed(undefined) : evaluatePolicyInput(candidate, input, { budgetMs })
            ], { concurrency: "unbounded" })
            const candidateOutcome = shadow === undefined ? undefined : {
              verdict: shadow.verdict,
              blockers: shadow.blockers,
              warnings: shadow.warnings,
              revision: shadow.policy.revision,
              bundleDigest: shadow.policy.bundleDigest
            }
            const recorded = yield* passports.recordGateEvaluation({
              identity: { ...identity, now },
              decidedOn: facts,
              environment: request.service.environment,
              verdict,
              request,
              tokenId: token.id,
              evidenceIds: facts.evidence.map((item) => item.id),
              ...(candidateOutcome !== undefined ? { candidate: candidateOutcome } : {}),
              policyInput: input,
              now
            })
            if (recorded._tag === "Stale") {
              if (attempt >= MAX_ATTEMPTS) return yield* Effect.die(new Error(`passport of ${identity.releaseId} kept changing`))
              continue
            }
            const { passport, evaluation } = recorded
            yield* metrics.gateDecided({
              verdict: evaluation.verdict,
              mode: evaluation.mode,
              environment: request.service.environment,
              evaluationMs: verdict.durationMs
            })
          return {
            evaluationId: evaluation.id,
            passportId: passport.id,
            ...verdictOf(evaluation),
            policy: verdict.policy,
            evaluatedAt: evaluation.evaluatedAt,
            service: request.service,
            release: { releaseId: request.release.releaseId, sourceSha: request.release.sourceSha },
            artifact: { digest: request.artifact.digest },
            ...(candidateOutcome !== undefined ? { candidate: candidateOutcome } : {})
          }
          }
        })
      })
    })
  )
}
