import { Context, Schema } from "effect"
import type { Effect } from "effect"
import type { EvidenceIngestResult } from "../EvidenceBatch.ts"
import type { StoreUnavailable } from "../errors.ts"
import type { EvidenceStatus } from "../EvidenceStatus.ts"
import type { IdempotencyClaim, IdempotencyKeyReused } from "./Idempotency.ts"

/** An evidence item after sanitization: what may be stored. */
export interface SanitizedEvidenceItem {
  readonly type: string
  readonly status: EvidenceStatus
  readonly summary: string
  readonly url: string | null
  readonly details: unknown
  readonly private: boolean
  /** As sent; undefined means "when received" (and is not part of the content). */
  readonly observedAt: string | undefined
  /** Identifies the content: equal hashes mean a re-send, different ones a new version. */
  readonly contentHash: string
  readonly redactions: number
}

export interface IngestEvidence {
  readonly workspaceId: string
  readonly tokenId: string | null
  readonly source: string
  readonly externalId: string
  readonly service: { readonly namespace: string; readonly name: string }
  readonly releaseId: string
  readonly sourceSha: string
  readonly artifactDigest: string
  readonly items: ReadonlyArray<SanitizedEvidenceItem>
  readonly redactions: number
  readonly now: Date
  /**
   * With an `Idempotency-Key`: a replay of the same request within `windowMs` gets the first
   * answer; the same key with another `requestHash` is refused. Keys are scoped to `route`.
   */
  readonly idempotency?: IdempotencyClaim
}

/** An item's identity (source, externalId, type) already belongs to another release's passport. */
export class EvidenceIdentityConflict extends Schema.TaggedError<EvidenceIdentityConflict>()(
  "EvidenceIdentityConflict",
  { type: Schema.String, passportId: Schema.String }
) {}

export class EvidenceStore extends Context.Service<EvidenceStore, {
  /**
   * In one transaction: claims the idempotency key (or replays its answer), finds or creates
   * the release's passport, and stores a new version of each item whose content changed.
   */
  readonly ingest: (
    input: IngestEvidence
  ) => Effect.Effect<
    { readonly result: EvidenceIngestResult; readonly replayed: boolean },
    IdempotencyKeyReused | EvidenceIdentityConflict | StoreUnavailable
  >
}>()("@releasepassport/core/ports/EvidenceStore") {}
