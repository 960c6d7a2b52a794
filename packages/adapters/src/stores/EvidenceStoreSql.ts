import {
  describeEvidenceBatch,
  EvidenceIdentityConflict,
  EvidenceStore,
  planEvidenceVersion
} from "@releasepassport/core"
import type { EvidenceIngestResult, IngestedItem, IngestEvidence, SanitizedEvidenceItem } from "@releasepassport/core"
import { Effect } from "effect"
import type { Transaction } from "kysely"
import type { EvidenceRow, Tables } from "../schema.ts"
import { compileRowsOnce } from "./CompiledStatement.ts"
import { recordBatch } from "./connectorRows.ts"
import { claimIdempotencyKey, rememberAnswer } from "./idempotencyRows.ts"
import { newId } from "./ids.ts"
import { findOrCreatePassport, touchPassport, touchPassportQuery } from "./passportRows.ts"
import type { SqlRunner } from "./SqlRunner.ts"

/** Every column of an evidence row, in the order its insert binds them. */
const EVIDENCE_COLUMNS = [
  "id", "workspace_id", "passport_id", "source", "external_id", "type", "version", "is_latest", "status", "summary",
  "url", "details", "private", "artifact_digest", "source_sha", "digest_mismatch", "sha_mismatch", "content_hash",
  "redactions", "observed_at", "received_at", "token_id"
] as const satisfies ReadonlyArray<keyof EvidenceRow>
// A column added to EvidenceRow but not above is a type error here, not a row stored without it.
const everyColumn: Record<Exclude<keyof EvidenceRow, (typeof EVIDENCE_COLUMNS)[number]>, never> = {}
void everyColumn

/** Concurrent writers of one item each get a turn; past this something is badly wrong. */
const MAX_VERSION_ATTEMPTS = 25

export const makeEvidenceStore = (sql: SqlRunner): EvidenceStore["Service"] => {
  type Latest = Pick<EvidenceRow, "id" | "passport_id" | "version" | "content_hash" | "digest_mismatch" | "sha_mismatch">
  type Passport = { readonly id: string; readonly artifactDigest: string; readonly sourceSha: string }
  const LATEST_COLUMNS = ["id", "passport_id", "version", "content_hash", "digest_mismatch", "sha_mismatch", "type"] as const

  /** The domain's plan for one item, as the rows it needs written (or the refusal). */
  const plan = (input: IngestEvidence, passport: Passport, item: SanitizedEvidenceItem, latest: Latest | undefined) => {
    const decided = planEvidenceVersion({
      passport,
      artifactDigest: input.artifactDigest,
      sourceSha: input.sourceSha,
      contentHash: item.contentHash,
      latest: latest === undefined
        ? undefined
        : { passportId: latest.passport_id, version: latest.version, contentHash: latest.content_hash }
    })
    if (decided._tag === "Conflict") {
      return { _tag: "Conflict" as const, error: new EvidenceIdentityConflict({ type: item.type, passportId: decided.passportId }) }
    }
    if (decided._tag === "Unchanged") {
      // (Only ever planned against an existing version.)
      const current = latest!
      return {
        _tag: "Unchanged" as const,
        result: {
          id: current.id,
          type: item.type,
          version: current.version,
          outcome: "unchanged",
          digestMismatch: current.digest_mismatch === 1,
          sourceShaMismatch: current.sha_mismatch === 1
        } satisfies IngestedItem
      }
    }
    const write = decided
    const nowIso = input.now.toISOString()
    const row: EvidenceRow = {
      id: newId("evd"),
      workspace_id: input.workspaceId,
      passport_id: passport.id,
      source: input.source,
      external_id: input.externalId,
      type: item.type,
      version: write.version,
      is_latest: 1,
      status: item.status,
      summary: item.summary,
      url: item.url,
      details: item.details === undefined ? null : JSON.stringify(item.details),
      private: item.private ? 1 : 0,
      artifact_digest: input.artifactDigest,
      source_sha: input.sourceSha,
      digest_mismatch: write.digestMismatch ? 1 : 0,
      sha_mismatch: write.sourceShaMismatch ? 1 : 0,
      content_hash: item.contentHash,
      redactions: item.redactions,
      observed_at: item.observedAt === undefined ? nowIso : new Date(item.observedAt).toISOString(),
      received_at: nowIso,
      token_id: input.tokenId
    }
    return {
      _tag: "Write" as const,
      row,
      previousId: latest?.id,
      result: {
        id: row.id,
        type: item.type,
        version: row.version,
        outcome: write.outcome,
        digestMismatch: write.digestMismatch,
        sourceShaMismatch: write.sourceShaMismatch
      } satisfies IngestedItem
    }
  }

  // A batch's insert, compiled once per batch size (see CompiledStatement.ts).
  const insertRows = compileRowsOnce(sql.db, EVIDENCE_COLUMNS, (db, rows) =>
    db.insertInto("evidence").values([...rows])
      .onConflict((oc) => oc.columns(["workspace_id", "source", "external_id", "type", "version"]).doNothing())
      .returning("id"))

  const insertIgnoringTaken = (trx: Transaction<Tables>, rows: ReadonlyArray<EvidenceRow>) =>
    sql.attempt(() => insertRows.run(trx, rows)).pipe(Effect.map((inserted) => new Set(inserted.rows.map((row) => row.id))))

  const retire = (trx: Transaction<Tables>, ids: ReadonlyArray<string>) =>
    ids.length === 0
      ? Effect.void
      : sql.attempt(() => trx.updateTable("evidence").set({ is_latest: 0 }).where("id", "in", ids).execute())

  /**
   * One item on its own, looking again whenever a concurrent writer takes the version this
   * one planned: the slow path, for items that lost a race in the batch insert.
   */
  const storeItem = (trx: Transaction<Tables>, input: IngestEvidence, passport: Passport, item: SanitizedEvidenceItem) =>
    Effect.gen(function*() {
      for (let attempt = 0; attempt < MAX_VERSION_ATTEMPTS; attempt++) {
        const latest = yield* sql.attempt(() =>
          trx.selectFrom("evidence").select(LATEST_COLUMNS)
            .where("workspace_id", "=", input.workspaceId).where("source", "=", input.source)
            .where("external_id", "=", input.externalId).where("type", "=", item.type)
            .orderBy("version", "desc").limit(1).executeTakeFirst()
        )
        const step = plan(input, passport, item, latest)
        if (step._tag === "Conflict") return yield* step.error
        if (step._tag === "Unchanged") return step.result
        if ((yield* insertIgnoringTaken(trx, [step.row])).size !== 1) continue
        yield* retire(trx, step.previousId === undefined ? [] : [step.previousId])
        return step.result
      }
      return yield* Effect.die(new Error(`evidence item ${item.type} kept changing under ${MAX_VERSION_ATTEMPTS} attempts`))
    })

  /**
   * Every item of a batch in three statements when nobody races it (read the latest versions,
   * insert the new ones, retire the old ones), instead of three per item; an item whose
   * planned version was taken meanwhile goes through `storeItem`.
   */
  const storeItems = (trx: Transaction<Tables>, input: IngestEvidence, passport: Passport) =>
    Effect.gen(function*() {
      const latestRows = yield* sql.attempt(() =>
        trx.selectFrom("evidence").select(LATEST_COLUMNS)
          .where("workspace_id", "=", input.workspaceId).where("source", "=", input.source)
          .where("external_id", "=", input.externalId).where("type", "in", input.items.map((item) => item.type))
          .where("is_latest", "=", 1).execute()
      )
      const latestByType = new Map(latestRows.map((row) => [row.type, row]))
      const steps = input.items.map((item) => plan(input, passport, item, latestByType.get(item.type)))
      for (const step of steps) if (step._tag === "Conflict") return yield* step.error
      const writes = steps.flatMap((step) => (step._tag === "Write" ? [step] : []))
      const inserted = writes.length === 0 ? new Set<string>() : yield* insertIgnoringTaken(trx, writes.map((w) => w.row))
      yield* retire(trx, writes.flatMap((w) => (inserted.has(w.row.id) && w.previousId !== undefined ? [w.previousId] : [])))
      const results: Array<IngestedItem> = []
      for (const [i, step] of steps.entries()) {
        if (step._tag === "Unchanged" || (step._tag === "Write" && inserted.has(step.row.id))) results.push(step.result)
        else results.push(yield* storeItem(trx, input, passport, input.items[i]!))
      }
      return results
    })

  const ingest = (input: IngestEvidence) =>
    sql.transaction((trx) =>
      Effect.gen(function*() {
        if (input.idempotency !== undefined) {
          const replay = yield* claimIdempotencyKey(sql, trx, input, input.idempotency)
          if (replay !== undefined) return { result: replay.answer as EvidenceIngestResult, replayed: true }
        }
        // Writers of the same run (source + externalId: every item of a batch shares them) take
        // turns. Row locks alone could cycle: a batch holding the versions it inserted, then
        // retrying one that a concurrent batch took, waits on that batch while it waits on ours
        // (seen as PostgreSQL deadlocks under the replica load test). The lock is taken by the
        // statement that reads the passport back, before any evidence is read or written.
        const passport = yield* findOrCreatePassport(
          sql, trx, input, newId("pp"), `evidence\n${input.workspaceId}\n${input.source}\n${input.externalId}`
        )
        // (Because of that lock, the order items are written in no longer matters: batches naming
        // the same items in opposite orders cannot interleave.)
        const items = yield* storeItems(trx, input, passport)
        const batch = {
          workspaceId: input.workspaceId,
          source: input.source,
          outcome: "accepted",
          detail: describeEvidenceBatch(items.map((item) => item.outcome)),
          now: input.now
        } as const
        const changed = items.some((item) => item.outcome !== "unchanged")
        if (changed && sql.traits.writableCtes) {
          // The passport's touch and the connector's record are independent writes of different
          // tables: on PostgreSQL one statement (a data-modifying CTE), one round trip fewer.
          yield* sql.attempt(() => recordBatch(trx.with("touched", (qc) => touchPassportQuery(qc, passport.id, input.now)), batch).execute())
        } else {
          if (changed) yield* touchPassport(sql, trx, passport.id, input.now)
          yield* sql.attempt(() => recordBatch(trx, batch).execute())
        }
        const result: EvidenceIngestResult = {
          passportId: passport.id,
          source: input.source,
          externalId: input.externalId,
          items,
          redactions: input.redactions
        }
        if (input.idempotency !== undefined) yield* rememberAnswer(sql, trx, input, input.idempotency, result)
        return { result, replayed: false }
      })
    )

  return EvidenceStore.of({ ingest })
}
