import { EvidenceStore, sanitizeJson, sanitizeText } from "@releasepassport/core"
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
import { ObservedInFuture, SecretInIdentifier } from "../errors.ts"
import { UseCaseMetrics } from "../ports/UseCaseMetrics.ts"
import { createHash } from "node:crypto"
import stringify from "safe-stable-stringify"

/** Evidence observed further in the future than this is a clock problem, not evidence. */
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000

/** An `Idempotency-Key` is remembered this long. */
const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000
/** Keys of different routes never collide. */
const IDEMPOTENCY_ROUTE = "evidence/ingest"

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex")
const canonical = (value: unknown) => stringify(value) ?? "null"

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
          // Identifiers are part of the item's identity and cannot be rewritten; a secret there is refused.
          const identifiers: Array<[string, string]> = [
            ["source", batch.source],
            ["externalId", batch.externalId],
            ["service.name", batch.service.name],
            ["service.namespace", batch.service.namespace],
            ["release.releaseId", batch.release.releaseId],
            ["release.sourceSha", batch.release.sourceSha],
            ["artifact.digest", batch.artifact.digest],
            ...batch.evidence.map((item, i): [string, string] => [`evidence.${i}.type`, item.type])
          ]
          for (const [field, value] of identifiers) {
            if (sanitizeText(value).redactions > 0) return yield* new SecretInIdentifier({ field })
          }
          let redactions = 0
          const items: Array<SanitizedEvidenceItem> = []
          for (const item of batch.evidence) {
            if (item.observedAt !== undefined && Date.parse(item.observedAt) > now + MAX_CLOCK_SKEW_MS) {
              return yield* new ObservedInFuture({ type: item.type })
            }
            const summary = sanitizeText(item.summary)
            const url = item.url === undefined ? undefined : sanitizeText(item.url)
            const details = item.details === undefined ? undefined : sanitizeJson(item.details)
            const itemRedactions = summary.redactions + (url?.redactions ?? 0) + (details?.redactions ?? 0)
            redactions += itemRedactions
            const content = {
              status: item.status,
              summary: summary.text,
              url: url?.text ?? null,
              details: details?.value ?? null,
              private: item.private ?? false,
              observedAt: item.observedAt === undefined ? null : new Date(item.observedAt).toISOString(),
              artifactDigest: batch.artifact.digest,
              sourceSha: batch.release.sourceSha
            }
            items.push({
              type: item.type,
              status: item.status,
              summary: summary.text,
              url: url?.text ?? null,
              details: details?.value,
              private: item.private ?? false,
              observedAt: item.observedAt,
              contentHash: sha256(canonical(content)),
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
            ...(idempotencyKey !== undefined
              ? {
                idempotency: {
                  key: idempotencyKey,
                  requestHash: sha256(canonical(batch)),
                  route: IDEMPOTENCY_ROUTE,
                  windowMs: IDEMPOTENCY_WINDOW_MS
                }
              }
              : {})
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
