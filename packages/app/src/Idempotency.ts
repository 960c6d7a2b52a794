import type { IdempotencyClaim } from "@releasepassport/core"
import { Effect } from "effect"
import { createHash } from "node:crypto"
import stringify from "safe-stable-stringify"
import type { SecretInIdentifier } from "./errors.ts"
import { admitIdentifier } from "./StorageText.ts"

/** An `Idempotency-Key` is remembered this long (every route that takes one). */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000

/** SHA-256 of the canonical JSON: equal values (whatever their key order) have equal digests. */
export const canonicalDigest = (body: unknown): string => createHash("sha256").update(stringify(body) ?? "null").digest("hex")

/**
 * The claim a store makes for a request that carries an `Idempotency-Key` on `route` (keys of
 * different routes never collide), or undefined without one. The key is stored, so it passes
 * the identifier rule first: a secret in it is refused before anything is read or written.
 */
export const idempotencyClaim = (
  route: string,
  key: string | undefined,
  body: unknown
): Effect.Effect<IdempotencyClaim | undefined, SecretInIdentifier> =>
  key === undefined
    ? Effect.succeed(undefined)
    : admitIdentifier("Idempotency-Key", key).pipe(
      Effect.map((admitted) => ({ key: admitted, requestHash: canonicalDigest(body), route, windowMs: IDEMPOTENCY_WINDOW_MS }))
    )
