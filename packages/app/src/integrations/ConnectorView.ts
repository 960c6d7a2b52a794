import { Schema } from "effect"


export const ConnectorView = Schema.Struct({
  source: Schema.String,
  displayName: Schema.NullOr(Schema.String),
  /** Declared by an admin (shows before it ever reports). */
  declared: Schema.Boolean,
  /** The interval freshness is measured against (declared, else 24 h). */
  expectedIntervalSeconds: Schema.Int,
  freshness: Schema.Literals(["fresh", "stale", "silent", "never_seen"]),
  /** Last accepted batch. */
  lastSeenAt: Schema.NullOr(Schema.String),
  lastBatch: Schema.NullOr(Schema.Struct({
    at: Schema.String,
    outcome: Schema.Literals(["accepted", "rejected"]),
    detail: Schema.String
  })),
  itemsLast24h: Schema.Int,
  rejectedLast24h: Schema.Int,
  rejectedTotal: Schema.Int,
  /** Environments whose required evidence comes from this connector. */
  environments: Schema.Array(Schema.String)
})
export type ConnectorView = typeof ConnectorView.Type

export const IntegrationList = Schema.Struct({
  connectors: Schema.Array(ConnectorView),
  /** The instant freshness was computed at. */
  checkedAt: Schema.String
})
export type IntegrationList = typeof IntegrationList.Type

/** Declaring a connector: the API and the console decode the same shape. */
export const DeclareConnector = Schema.Struct({
  displayName: Schema.optional(Schema.NullOr(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200)))),
  expectedIntervalSeconds: Schema.optional(
    Schema.NullOr(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 30 * 24 * 3600 })))
  ),
  environments: Schema.optional(
    Schema.Array(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(100))).check(Schema.isMaxLength(50))
  )
})
