import { EvidenceStore } from "@releasepassport/core"
import type {
  ApiToken,
  EvidenceBatch,
  EvidenceIdentityConflict,
  EvidenceIngestResult,
  IdempotencyKeyReused,
  SanitizedEvidenceItem,
  StoreUnavailable
} from "@releasepassport/core"
import { Clock, Context, Effect, Layer } from "effect"
import { ObservedInFuture } from "../errors.ts"
import type { SecretInIdentifier } from "../errors.ts"
import { idempotencyClaim, canonicalDigest } from "../Idempotency.ts"
import { admit, admitEach } from "../StorageText.ts"
import type { TextRules } from "../StorageText.ts"
import { UseCaseMetrics } from "../ports/UseCaseMetrics.ts"

/** Evidence observed further in the future than this is a clock problem, not evidence. */
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000

/** Where this route's `Idempotency-Key`s are kept apart from other routes'. */
const IDEMPOTENCY_ROUTE = "evidence/ingest"

/** An evidence item's free text; everything else in a batch is an identifier. */
const ITEM_TEXT: TextRules = { summary: "text", url: "text", details: "json" }


export type IngestError =
  | SecretInIdentifier
  | ObservedInFuture
  | IdempotencyKeyReused
  | EvidenceIdentityConflict
  | StoreUnavailable

/**
 * The evidence use case: sanitize everything that will be stored, identify each item's
 * content, and hand the batch to the store in one transaction.
 */
export class Evidence extends Context.Service<Evidence, {
  readonly ingest: (
    batch: EvidenceBatch,
    token: ApiToken,
    idempotencyKey: string | undefined
  ) => Effect.Effect<{ readonly result: EvidenceIngestResult; readonly replayed: boolean }, IngestError>
}>()("@releasepassport/app/Evidence") {
  static readonly layer = Layer.effect(
    Evidence,
    Effect.gen(function*() {
      const store = yield* EvidenceStore
      const metrics = yield* UseCaseMetrics
      return Evidence.of({
        ingest: Effect.fn("Evidence.ingest")(function*(batch: EvidenceBatch, token: ApiToken, idempotencyKey: string | undefined) {
          const now = yield* Clock.currentTimeMillis
          // Everything stored passes `admit` (StorageText.ts): identifiers are part of the
          // item's identity and cannot be rewritten, so a secret there is refused; free text is
          // sanitized. The key is stored too, so it is an identifier like any other.
          const idempotency = yield* idempotencyClaim(IDEMPOTENCY_ROUTE, idempotencyKey, batch)
          yield* admit({ ...batch, evidence: [] })
          for (const raw of batch.evidence) {
            if (raw.observedAt !== undefined && Date.parse(raw.observedAt) > now + MAX_CLOCK_SKEW_MS) {
              return yield* new ObservedInFuture({ type: raw.type })
            }
          }
          let redactions = 0
          const items: Array<SanitizedEvidenceItem> = []
          for (const admitted of yield* admitEach(batch.evidence, ITEM_TEXT, "evidence")) {
            const item = admitted.value
            const itemRedactions = admitted.redactions
            redactions += itemRedactions
            const content = {
              status: item.status,
              summary: item.summary,
              url: item.url ?? null,
              details: item.details ?? null,
              private: item.private ?? false,
              observedAt: item.observedAt === undefined ? null : new Date(item.observedAt).toISOString(),
              artifactDigest: batch.artifact.digest,
              sourceSha: batch.release.sourceSha
            }
            items.push({
              type: item.type,
              status: item.status,
              summary: item.summary,
              url: item.url ?? null,
              details: item.details,
              private: item.private ?? false,
              observedAt: item.observedAt,
              contentHash: canonicalDigest(content),
              redactions: itemRedactions
            })
          }
          const ingested = yield* store.ingest({
            workspaceId: token.workspaceId,
            tokenId: token.id,
            source: batch.source,
            externalId: batch.externalId,
            service: batch.service,
            releaseId: batch.release.releaseId,
            sourceSha: batch.release.sourceSha,
            artifactDigest: batch.artifact.digest,
            items,
            redactions,
            now: new Date(now),
            ...(idempotency !== undefined ? { idempotency } : {})
          })
          yield* metrics.evidenceIngested({
            outcomes: ingested.result.items.map((item) => item.outcome),
            redactions: ingested.result.redactions,
            replayed: ingested.replayed
          })
          return ingested
        })
      })
    })
  )
}
