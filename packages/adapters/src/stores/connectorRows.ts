import type { Connector } from "@releasepassport/core"
import type { QueryCreator } from "kysely"
import type { ConnectorRow, Tables } from "../schema.ts"
import type { SqlTraits } from "../SqlTraits.ts"

/** Every column of a connector row: for reading a workspace's connectors beside another table's rows (`SqlTraits.jsonRows`). */
export const CONNECTOR_COLUMNS = [
  "workspace_id", "source", "display_name", "expected_interval_seconds", "environments", "declared", "last_seen_at",
  "last_batch_at", "last_batch_outcome", "last_batch_detail", "rejected_total", "created_at", "updated_at"
] as const satisfies ReadonlyArray<keyof ConnectorRow>
// A column added to ConnectorRow and not here fails the type check instead of coming back undefined.
const everyColumn: Record<Exclude<keyof ConnectorRow, (typeof CONNECTOR_COLUMNS)[number]>, never> = {}
void everyColumn

export const toConnector = (traits: SqlTraits, row: ConnectorRow): Connector => ({
  source: row.source,
  displayName: row.display_name,
  expectedIntervalSeconds: row.expected_interval_seconds === null ? null : Number(row.expected_interval_seconds),
  environments: JSON.parse(row.environments) as Array<string>,
  declared: row.declared === 1,
  lastSeenAt: row.last_seen_at === null ? null : traits.readTimestamp(row.last_seen_at),
  lastBatch: row.last_batch_at === null
    ? null
    : {
      at: traits.readTimestamp(row.last_batch_at),
      outcome: row.last_batch_outcome === "rejected" ? "rejected" : "accepted",
      detail: row.last_batch_detail ?? ""
    },
  createdAt: traits.readTimestamp(row.created_at),
  updatedAt: traits.readTimestamp(row.updated_at)
})

/**
 * Records a batch from a source on its connector row, creating the row for a source never
 * seen before. An accepted batch moves `last_seen_at` (what freshness is measured from);
 * a refused one only the last batch and the refusal count. The statement, to run or to put after a CTE.
 */
export const recordBatch = (
  db: QueryCreator<Tables>,
  input: {
    readonly workspaceId: string
    readonly source: string
    readonly outcome: "accepted" | "rejected"
    readonly detail: string
    readonly now: Date
  }
) => {
  const at = input.now.toISOString()
  const accepted = input.outcome === "accepted"
  return db.insertInto("connectors").values({
    workspace_id: input.workspaceId,
    source: input.source,
    display_name: null,
    expected_interval_seconds: null,
    environments: "[]",
    declared: 0,
    last_seen_at: accepted ? at : null,
    last_batch_at: at,
    last_batch_outcome: input.outcome,
    last_batch_detail: input.detail,
    rejected_total: accepted ? 0 : 1,
    created_at: at,
    updated_at: at
  }).onConflict((oc) =>
    oc.columns(["workspace_id", "source"]).doUpdateSet((eb) => ({
      ...(accepted ? { last_seen_at: at } : { rejected_total: eb("connectors.rejected_total", "+", 1) }),
      last_batch_at: at,
      last_batch_outcome: input.outcome,
      last_batch_detail: input.detail,
      updated_at: at
    }))
  )
}
