import { Schema } from "effect"

/**
 * The optional `Idempotency-Key` header of the routes that record something a pipeline may
 * retry (gate evaluate, evidence ingest): one shape and one limit for all of them.
 */
export const IdempotencyKeyHeader = {
  "idempotency-key": Schema.optionalKey(
    Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200), Schema.isPattern(/^[\x21-\x7e]+$/)).annotate({
      description:
        "1-200 visible ASCII characters, remembered 24 hours per workspace and route. A retry with the same key and the same body gets the first answer and records nothing new; the same key with another body is refused (409 `idempotency.key_reused`)."
    })
  )
}
