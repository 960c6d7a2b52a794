import { Schema } from "effect"
import { ArtifactRef, ReleaseRef, ServiceRef } from "./GateRequest.ts"
import { EvidenceStatus } from "./EvidenceStatus.ts"

/** Limits of one ingest request; the body as a whole is limited by the server (1 MiB). */
export const EvidenceLimits = {
  itemsPerRequest: 100,
  summaryBytes: 2 * 1024,
  detailsBytes: 64 * 1024,
  /** Containers inside one another, the details object itself counted as 1. */
  detailsDepth: 32,
  urlLength: 2048
} as const

const utf8Bytes = (text: string) => new TextEncoder().encode(text).byteLength

/**
 * Whether `value` holds containers nested deeper than `limit` (the value itself at depth 1).
 * Walks with an explicit stack and stops at the first container too deep: recursion (as in
 * `JSON.stringify`) overflows the stack at a few thousand levels, which 8 KiB of `[[[...` reach.
 * A cycle, impossible in parsed JSON, counts as too deep rather than looping.
 */
export const nestedDeeperThan = (value: unknown, limit: number): boolean => {
  const stack: Array<readonly [unknown, number]> = [[value, 1]]
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    if (typeof current !== "object" || current === null) continue
    if (depth > limit) return true
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1])
    }
  }
  return false
}

/** Source and type names: what connectors and required-evidence parameters refer to. */
export const EvidenceName = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/, {
    message: "must be 1-100 characters: letters, digits, and _ . : - (not first)"
  })
)

/** An instant as RFC 3339 text, e.g. 2026-11-28T12:00:00Z. */
export const Rfc3339 = Schema.String.check(
  Schema.makeFilter((text: string) =>
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(text) && !Number.isNaN(Date.parse(text))
      ? undefined
      : "must be an RFC 3339 date-time, e.g. 2026-11-28T12:00:00Z"
  )
)

const HttpUrl = Schema.String.check(
  Schema.makeFilter((text: string) => {
    if (text.length > EvidenceLimits.urlLength) return `must be at most ${EvidenceLimits.urlLength} characters`
    try {
      const { protocol } = new URL(text)
      return protocol === "https:" || protocol === "http:" ? undefined : "must be an http(s) URL"
    } catch {
      return "must be an http(s) URL"
    }
  })
)


export const EvidenceItem = Schema.Struct({
  type: EvidenceName,
  status: EvidenceStatus,
  summary: Schema.String.check(
    Schema.makeFilter((text: string) =>
      utf8Bytes(text) <= EvidenceLimits.summaryBytes ? undefined : `must be at most ${EvidenceLimits.summaryBytes} bytes`
    )
  ),
  /** When the check ran; default: when the server received it. */
  observedAt: Schema.optionalKey(Rfc3339),
  url: Schema.optionalKey(HttpUrl),
  /** Free-form JSON, sanitized before it is stored. */
  details: Schema.optionalKey(
    Schema.Record(Schema.String, Schema.Unknown).check(
      // Depth first: the size check serializes recursively, which only bounded depth makes safe.
      Schema.makeFilter((value: object) => {
        if (nestedDeeperThan(value, EvidenceLimits.detailsDepth)) {
          return `must be nested at most ${EvidenceLimits.detailsDepth} levels deep`
        }
        return utf8Bytes(JSON.stringify(value)) <= EvidenceLimits.detailsBytes
          ? undefined
          : `must be at most ${EvidenceLimits.detailsBytes} bytes as JSON`
      })
    )
  ),
  /** Details shown to workspace admins and owners only. */
  private: Schema.optionalKey(Schema.Boolean)
})
export type EvidenceItem = typeof EvidenceItem.Type

/** What CI, tests and scanners send to `POST /evidence/ingest`. */
export const EvidenceBatch = Schema.Struct({
  source: EvidenceName,
  externalId: Schema.String.check(
    Schema.isMinLength(1),
    Schema.isMaxLength(200),
    Schema.isPattern(/^[^\u0000-\u001f\u007f]*$/, { message: "must not contain control characters" })
  ),
  service: ServiceRef,
  release: ReleaseRef,
  artifact: ArtifactRef,
  evidence: Schema.Array(EvidenceItem).check(
    Schema.isMinLength(1, { message: "must hold at least one item" }),
    Schema.isMaxLength(EvidenceLimits.itemsPerRequest, {
      message: `must hold at most ${EvidenceLimits.itemsPerRequest} items; split the batch`
    }),
    Schema.makeFilter((items: ReadonlyArray<{ readonly type: string }>) =>
      new Set(items.map((item) => item.type)).size === items.length
        ? undefined
        : "must not name a type twice: an item is identified by source, externalId and type"
    )
  )
})
export type EvidenceBatch = typeof EvidenceBatch.Type

export const EvidenceOutcome = Schema.Literals(["created", "updated", "unchanged"])
export type EvidenceOutcome = typeof EvidenceOutcome.Type

export const IngestedItem = Schema.Struct({
  /** Id of the item's current version (what policies and blockers refer to). */
  id: Schema.String,
  type: Schema.String,
  version: Schema.Int,
  outcome: EvidenceOutcome,
  /** The item names another digest / source sha than the passport: stored, flagged, a blocker. */
  digestMismatch: Schema.Boolean,
  sourceShaMismatch: Schema.Boolean
})
export type IngestedItem = typeof IngestedItem.Type

export const EvidenceIngestResult = Schema.Struct({
  passportId: Schema.String,
  source: Schema.String,
  externalId: Schema.String,
  items: Schema.Array(IngestedItem),
  /** How many values were redacted before storing (never which). */
  redactions: Schema.Int
})
export type EvidenceIngestResult = typeof EvidenceIngestResult.Type
