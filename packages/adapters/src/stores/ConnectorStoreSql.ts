import { ConnectorStore } from "@releasepassport/core"
import type { ConnectorActivity } from "@releasepassport/core"
import { Effect } from "effect"
import { compileOnce } from "./CompiledStatement.ts"
import { recordBatch, toConnector } from "./connectorRows.ts"
import { toCount } from "./SqlRunner.ts"
import type { SqlRunner } from "./SqlRunner.ts"

const DAY_MS = 24 * 60 * 60 * 1000
/** Refusals are kept a week: enough for the 24-hour count, bounded however noisy a source is. */
const REJECTION_RETENTION_MS = 7 * DAY_MS

export const makeConnectorStore = (sql: SqlRunner): ConnectorStore["Service"] => {
  // Read on every metrics scrape, per workspace: compiled once (see CompiledStatement.ts). The
  // gate reads the same rows inside its facts statement (PassportStoreSql, `jsonRows`).
  const ofWorkspace = compileOnce(sql.db, ["workspaceId"], (db, slot) =>
    db.selectFrom("connectors").selectAll().where("workspace_id", "=", slot.workspaceId).orderBy("source"))
  const connectors = (workspaceId: string) =>
    sql.query((db) => ofWorkspace.run(db, { workspaceId }))
      .pipe(Effect.map(({ rows }) => rows.map((row) => toConnector(sql.traits, row))))

  return ConnectorStore.of({
    declare: (input) => {
      const at = input.now.toISOString()
      const environments = JSON.stringify([...new Set(input.environments)].sort())
      return sql.query((db) =>
        db.insertInto("connectors").values({
          workspace_id: input.workspaceId,
          source: input.source,
          display_name: input.displayName,
          expected_interval_seconds: input.expectedIntervalSeconds,
          environments,
          declared: 1,
          last_seen_at: null,
          last_batch_at: null,
          last_batch_outcome: null,
          last_batch_detail: null,
          rejected_total: 0,
          created_at: at,
          updated_at: at
        }).onConflict((oc) =>
          oc.columns(["workspace_id", "source"]).doUpdateSet({
            display_name: input.displayName,
            expected_interval_seconds: input.expectedIntervalSeconds,
            environments,
            declared: 1,
            updated_at: at
          })
        ).execute()
      ).pipe(
        Effect.flatMap(() =>
          sql.query((db) =>
            db.selectFrom("connectors").selectAll().where("workspace_id", "=", input.workspaceId)
              .where("source", "=", input.source).executeTakeFirstOrThrow()
          )
        ),
        Effect.map((row) => toConnector(sql.traits, row))
      )
    },
    list: ({ workspaceId, now }) =>
      Effect.gen(function*() {
        const since = new Date(now.getTime() - DAY_MS).toISOString()
        const rows = yield* sql.query((db) =>
          db.selectFrom("connectors").selectAll().where("workspace_id", "=", workspaceId).orderBy("source").execute()
        )
        const items = yield* sql.query((db) =>
          db.selectFrom("evidence").select(["source", (eb) => eb.fn.countAll().as("n")])
            .where("workspace_id", "=", workspaceId).where("received_at", ">=", since).groupBy("source").execute()
        )
        const rejected = yield* sql.query((db) =>
          db.selectFrom("connector_rejections").select(["source", (eb) => eb.fn.countAll().as("n")])
            .where("workspace_id", "=", workspaceId).where("rejected_at", ">=", since).groupBy("source").execute()
        )
        const count = (list: ReadonlyArray<{ source: string; n: unknown }>, source: string) =>
          toCount(list.find((row) => row.source === source)?.n)
        return rows.map((row): ConnectorActivity => ({
          connector: toConnector(sql.traits, row),
          itemsLast24h: count(items, row.source),
          rejectedLast24h: count(rejected, row.source),
          rejectedTotal: Number(row.rejected_total)
        }))
      }),
    connectors,
    recordRejection: (input) =>
      sql.transaction((trx) =>
        Effect.gen(function*() {
          yield* sql.attempt(() =>
            trx.deleteFrom("connector_rejections").where("workspace_id", "=", input.workspaceId)
              .where("source", "=", input.source)
              .where("rejected_at", "<", new Date(input.now.getTime() - REJECTION_RETENTION_MS).toISOString()).execute()
          )
          yield* sql.attempt(() =>
            trx.insertInto("connector_rejections").values({
              workspace_id: input.workspaceId,
              source: input.source,
              code: input.code,
              rejected_at: input.now.toISOString()
            }).execute()
          )
          yield* sql.attempt(() =>
            recordBatch(trx, { workspaceId: input.workspaceId, source: input.source, outcome: "rejected", detail: input.code, now: input.now }).execute()
          )
        })
      )
  })
}
