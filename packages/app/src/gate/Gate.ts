import { buildPolicyInput, connectorFreshness, evaluatePolicyInput, PassportStore } from "@releasepassport/core"
import type { ApiToken, GateRequest, IdempotencyKeyReused, StoreUnavailable } from "@releasepassport/core"
import { Clock, Context, Effect, Layer } from "effect"
import type { SecretInIdentifier } from "../errors.ts"
import { idempotencyClaim } from "../Idempotency.ts"
import { GatePolicy } from "../ports/GatePolicy.ts"
import { admit } from "../StorageText.ts"
import { UseCaseMetrics } from "../ports/UseCaseMetrics.ts"
import { gateResponseOf } from "./GateOutcome.ts"
import type { GateResponse } from "./GateOutcome.ts"

/**
 * The gate use case. Reads the facts (passport, latest evidence, connectors: one read), evaluates the
 * policy outside any transaction, then records the evaluation and the passport's stamp in one
 * short write transaction. Policy time therefore never holds the database's write lock; an
 * evidence write that lands between the read and the record is not lost: the evaluation keeps
 * the ids of the evidence it saw, and the passport's timeline shows the rest.
 *
 * With an `Idempotency-Key`, the key is claimed inside that write transaction: a retried
 * request (or one racing its twin) records one evaluation and every attempt gets its answer.
 */
/** Only a release's very first requests can find their facts stale, and only once. */
const MAX_ATTEMPTS = 3

/** Where this route's `Idempotency-Key`s are kept apart from other routes'. */
const IDEMPOTENCY_ROUTE = "gate/evaluate"

export class Gate extends Context.Service<Gate, {
  readonly evaluate: (
    request: GateRequest,
    token: ApiToken,
    idempotencyKey?: string
  ) => Effect.Effect<GateResponse, StoreUnavailable | SecretInIdentifier | IdempotencyKeyReused>
}>()("@releasepassport/app/Gate") {
  static readonly layer = Layer.effect(
    Gate,
    Effect.gen(function*() {
      const passports = yield* PassportStore
      const policy = yield* GatePolicy
      const metrics = yield* UseCaseMetrics
      return Gate.of({
        evaluate: Effect.fn("Gate.evaluate")(function*(presented: GateRequest, token: ApiToken, idempotencyKey?: string) {
          // Every string of a gate request names something (service, environment, release,
          // artifact, manifest path) and is stored with the evaluation: the identifier rule.
          // The key is stored too, so it is an identifier like any other.
          const idempotency = yield* idempotencyClaim(IDEMPOTENCY_ROUTE, idempotencyKey, presented)
          const request = (yield* admit(presented)).value
          if (idempotency !== undefined) {
            // A retry of a request already answered: its answer, without deciding again. (Only a
            // shortcut: a retry that arrives while the first is still deciding is answered by
            // the claim in `recordGateEvaluation`.)
            const now = new Date(yield* Clock.currentTimeMillis)
            const replay = yield* passports.gateReplay({ workspaceId: token.workspaceId, idempotency, now })
            if (replay !== undefined) return gateResponseOf(request, replay)
          }
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
            const facts = yield* passports.gateFacts({ ...identity, now })
            const context = {
              request,
              passport: facts.passport,
              evidence: facts.evidence,
              connectors: facts.connectors.map((connector) => ({
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
              ...(idempotency !== undefined ? { idempotency } : {}),
              now
            })
            if (recorded._tag === "Stale") {
              if (attempt >= MAX_ATTEMPTS) return yield* Effect.die(new Error(`passport of ${identity.releaseId} kept changing`))
              continue
            }
            // A twin of this request recorded first: its answer, and no second decision counted.
            if (recorded.replayed) return gateResponseOf(request, recorded)
            yield* metrics.gateDecided({
              verdict: recorded.evaluation.verdict,
              mode: recorded.evaluation.mode,
              environment: request.service.environment,
              evaluationMs: verdict.durationMs
            })
            return gateResponseOf(request, recorded)
          }
        })
      })
    })
  )
}
