import { PassportStore } from "@releasepassport/core"
import type {
  EvidenceVersion,
  GateEvaluation,
  GateFacts,
  PassportIdentity,
  PassportDetail,
  PassportListQuery,
  PassportOverviewQuery,
  RecordedGateEvaluation,
  RecordGateEvaluation,
  Stamp
} from "@releasepassport/core"
import { Effect } from "effect"
import type { Kysely, QueryCreator, Transaction } from "kysely"
import type { ConnectorRow, EvidenceRow, GateEvaluationRow, PassportStampRow, Tables } from "../schema.ts"
import { compileOnce, firstRow } from "./CompiledStatement.ts"
import { CONNECTOR_COLUMNS, toConnector } from "./connectorRows.ts"
import { claimIdempotencyKey, readAnswer, releaseClaim, rememberAnswer } from "./idempotencyRows.ts"
import { newId } from "./ids.ts"
import { EVIDENCE_FACT_COLUMNS, findOrCreatePassport, toEvaluationVerdict, toEvidenceFacts, toPassport } from "./passportRows.ts"
import { toCount } from "./SqlRunner.ts"
import type { SqlRunner } from "./SqlRunner.ts"

/** An evidence row of the facts statement, once a row is known to carry one (its id is not null). */
type EvidenceFactsRow = Pick<EvidenceRow, (typeof EVIDENCE_FACT_COLUMNS)[number]>

export const makePassportStore = (sql: SqlRunner): PassportStore["Service"] => {
  const { readTimestamp, readJson } = sql.traits

  // The statements of every gate request, compiled once (see CompiledStatement.ts).
  /**
   * A gate request's facts in one statement: the workspace's connectors (one JSON array, on
   * every row), the release's passport (only what the policy sees) and the newest version of
   * each of its evidence items, one row per item. The connectors' one-row aggregate is what the
   * rest is joined to, so there is always a row: its passport columns are null for a release
   * never seen, its evidence columns for a passport without evidence. Three statements before;
   * on PostgreSQL each was a round trip (a socket write and a wake-up of the event loop), and
   * the connectors' own was worth 8-17% of the gate's throughput there. Only the evidence
   * columns the facts use: the rows also carry details, urls and flags that the policy never
   * sees, and reading them was about half of the evidence read's cost.
   */
  const factsByIdentity = compileOnce(sql.db, ["workspaceId", "namespace", "name", "releaseId"], (db, slot) =>
    db.selectFrom((eb) =>
      eb.selectFrom("connectors").select(sql.traits.jsonRows(CONNECTOR_COLUMNS, "source").as("connectors"))
        .where("workspace_id", "=", slot.workspaceId).as("c")
    )
      .leftJoin("passports as p", (join) =>
        join.on("p.workspace_id", "=", slot.workspaceId)
          .on("p.service_namespace", "=", slot.namespace)
          .on("p.service_name", "=", slot.name)
          .on("p.release_id", "=", slot.releaseId))
      .leftJoin("evidence as e", (join) => join.onRef("e.passport_id", "=", "p.id").on("e.is_latest", "=", 1))
      .select([
        "c.connectors",
        "p.id as passport_id",
        "p.release_id as passport_release_id",
        "p.artifact_digest as passport_artifact_digest",
        "p.source_sha as passport_source_sha",
        "p.service_namespace as passport_service_namespace",
        "p.service_name as passport_service_name",
        "e.id", "e.source", "e.type", "e.status", "e.summary", "e.artifact_digest", "e.source_sha", "e.observed_at", "e.received_at"
      ] as const satisfies ReadonlyArray<"c.connectors" | `p.${string}` | `e.${(typeof EVIDENCE_FACT_COLUMNS)[number]}`>)
      .orderBy("e.type").orderBy("e.source").orderBy("e.external_id"))
  const touchQuery = (db: QueryCreator<Tables>, slot: { readonly id: never; readonly now: never }) =>
    db.updateTable("passports")
      .set((eb) => ({
        updated_at: eb.case().when("updated_at", "<", slot.now).then(slot.now).else(eb.ref("updated_at")).end()
      }))
      .where("id", "=", slot.id).returningAll()
  const touch = compileOnce(sql.db, ["id", "now"], touchQuery)
  const evaluationColumns = [
    "id", "workspace_id", "passport_id", "environment", "mode", "verdict", "allowed", "would_block", "blockers", "warnings",
    "policy_revision", "bundle_digest", "request", "token_id", "evaluated_at", "duration_ms", "evidence_ids", "candidate",
    "policy_input"
  ] as const satisfies ReadonlyArray<keyof GateEvaluationRow>
  type EvaluationSlots = Readonly<Record<(typeof evaluationColumns)[number], never>>
  const insertEvaluationQuery = (db: QueryCreator<Tables>, slot: EvaluationSlots) => db.insertInto("gate_evaluations").values(slot)
  const insertEvaluation = compileOnce(sql.db, evaluationColumns, insertEvaluationQuery)
  const stampColumns = ["passport_id", "environment", "evaluation_id", "verdict", "mode", "blocker_count", "evaluated_at"] as const
  const upsertStampQuery = (db: QueryCreator<Tables>, slot: Readonly<Record<(typeof stampColumns)[number], never>>) =>
    db.insertInto("passport_stamps").values(slot).onConflict((oc) =>
      oc.columns(["passport_id", "environment"]).doUpdateSet({
        evaluation_id: slot.evaluation_id,
        verdict: slot.verdict,
        mode: slot.mode,
        blocker_count: slot.blocker_count,
        evaluated_at: slot.evaluated_at
      }).where("passport_stamps.evaluated_at", "<=", slot.evaluated_at)
    )
  const upsertStamp = compileOnce(sql.db, stampColumns, upsertStampQuery)
  /**
   * A stamp is its evaluation's verdict in its environment: its columns are the evaluation's
   * own values (or, in a statement compiled once, its slots), plus the blocker count.
   */
  const stampOf = <V>(
    evaluation: Readonly<Record<"passport_id" | "environment" | "id" | "verdict" | "mode" | "evaluated_at", V>>,
    blockerCount: V
  ): Readonly<Record<(typeof stampColumns)[number], V>> => ({
    passport_id: evaluation.passport_id,
    environment: evaluation.environment,
    evaluation_id: evaluation.id,
    verdict: evaluation.verdict,
    mode: evaluation.mode,
    blocker_count: blockerCount,
    evaluated_at: evaluation.evaluated_at
  })
  /**
   * PostgreSQL: a known passport's touch, its evaluation and its stamp as one statement
   * (data-modifying CTEs, atomic like any statement), one round trip instead of three; without
   * an idempotency key it needs no transaction either. On PostgreSQL each round trip is a socket
   * write and a wake-up of the event loop, which dominated the gate's CPU. SQLite has no
   * data-modifying CTEs, and its statements cost no round trip: it runs the three.
   * The stamp's columns are the evaluation's own slots (one value, one place), plus its count.
   */
  const recordOnKnown = !sql.traits.writableCtes ? undefined : compileOnce(
    sql.db,
    [...evaluationColumns, "now", "blocker_count"],
    (db, slot) =>
      db.with("touched", (qc) => touchQuery(qc, { id: slot.passport_id, now: slot.now }))
        .with("evaluation", (qc) =>
          insertEvaluationQuery(qc, Object.fromEntries(evaluationColumns.map((column) => [column, slot[column]])) as EvaluationSlots))
        .with("stamp", (qc) =>
          upsertStampQuery(qc, stampOf(slot, slot.blocker_count)))
        .selectFrom("touched").selectAll()
  )

  const touchReturning = (trx: Transaction<Tables>, id: string, nowIso: string) =>
    sql.attempt(() => touch.run(trx, { id, now: nowIso })).pipe(
      Effect.map((result) => toPassport(sql.traits, firstRow(result, `passport ${id}`)))
    )

  const gateFacts = (identity: PassportIdentity) =>
    sql.query((db) =>
      factsByIdentity.run(db, {
        workspaceId: identity.workspaceId,
        namespace: identity.service.namespace,
        name: identity.service.name,
        releaseId: identity.releaseId
      })
    ).pipe(Effect.map((result): GateFacts => {
      const first = firstRow(result, `gate facts of ${identity.releaseId}`)
      const connectors = (JSON.parse(first.connectors) as Array<ConnectorRow>).map((row) => toConnector(sql.traits, row))
      if (first.passport_id === null) {
        // Nothing is written for a release never seen: its passport is created with the
        // evaluation, so a request that fails midway leaves no passport without a verdict.
        return {
          passport: {
            id: newId("pp"),
            releaseId: identity.releaseId,
            artifactDigest: identity.artifactDigest,
            sourceSha: identity.sourceSha,
            service: identity.service
          },
          exists: false,
          evidence: [],
          connectors
        }
      }
      return {
        passport: {
          id: first.passport_id,
          releaseId: first.passport_release_id!,
          artifactDigest: first.passport_artifact_digest!,
          sourceSha: first.passport_source_sha!,
          service: { namespace: first.passport_service_namespace!, name: first.passport_service_name! }
        },
        exists: true,
        // A passport without evidence is one row whose evidence columns are all null.
        evidence: first.id === null ? [] : result.rows.map((row) => toEvidenceFacts(sql.traits, row as EvidenceFactsRow)),
        connectors
      }
    }))

  /** The evaluation row of a verdict, for the passport it is recorded on; every column present. */
  type BoundEvaluationRow = GateEvaluationRow & Required<Pick<GateEvaluationRow, "candidate" | "policy_input">>
  const evaluationRow = (input: RecordGateEvaluation, passport: { readonly id: string; readonly workspaceId: string }): BoundEvaluationRow => {
    const { verdict } = input
    return {
      id: newId("ge"),
      workspace_id: passport.workspaceId,
      passport_id: passport.id,
      environment: input.environment,
      mode: verdict.mode,
      verdict: verdict.verdict,
      allowed: verdict.allowed ? 1 : 0,
      would_block: verdict.wouldBlock ? 1 : 0,
      blockers: JSON.stringify(verdict.blockers),
      warnings: JSON.stringify(verdict.warnings),
      policy_revision: verdict.policy.revision,
      bundle_digest: verdict.policy.bundleDigest,
      request: JSON.stringify(input.request),
      token_id: input.tokenId,
      evaluated_at: verdict.evaluatedAt,
      duration_ms: verdict.durationMs,
      evidence_ids: JSON.stringify(input.evidenceIds),
      // Every column is bound (the compiled INSERT names them all): an absent one is NULL, as Kysely would leave it.
      candidate: input.candidate === undefined ? null : JSON.stringify(input.candidate),
      policy_input: input.policyInput === undefined ? null : JSON.stringify(input.policyInput)
    }
  }

  const recordedOf = (input: RecordGateEvaluation, passport: RecordedGateEvaluation["passport"], row: GateEvaluationRow): RecordedGateEvaluation => ({
    passport,
    evaluation: toEvaluation(row),
    policy: input.verdict.policy,
    candidate: input.candidate ?? null
  })

  /** PostgreSQL, a passport the facts found: touch, evaluation and stamp in one statement. */
  const recordOnKnownPassport = (executor: Kysely<Tables>, input: RecordGateEvaluation) => {
    const row = evaluationRow(input, { id: input.decidedOn.passport.id, workspaceId: input.identity.workspaceId })
    return sql.attempt(() => recordOnKnown!.run(executor, { ...row, now: input.now.toISOString(), blocker_count: input.verdict.blockers.length })).pipe(
      Effect.map((result) => recordedOf(input, toPassport(sql.traits, firstRow(result, `passport ${row.passport_id}`)), row))
    )
  }

  const recordGateEvaluation = (input: RecordGateEvaluation) => {
    const { verdict, idempotency } = input
    const known = input.decidedOn.exists && recordOnKnown !== undefined
    // Nothing else to write with it: the one statement is the whole write, no transaction around it.
    if (known && idempotency === undefined) {
      return recordOnKnownPassport(sql.db, input).pipe(Effect.map((recorded) => ({ _tag: "Recorded" as const, replayed: false, ...recorded })))
    }
    return sql.transaction((trx) =>
      Effect.gen(function*() {
        const nowIso = input.now.toISOString()
        const scope = { workspaceId: input.identity.workspaceId, now: input.now }
        // The key first: a retry, or a twin racing this one, waits here for the first to commit
        // and then answers what it recorded, so one request records one evaluation.
        if (idempotency !== undefined) {
          const replay = yield* claimIdempotencyKey(sql, trx, scope, idempotency)
          if (replay !== undefined) return { _tag: "Recorded" as const, replayed: true, ...(replay.answer as RecordedGateEvaluation) }
        }
        let recorded: RecordedGateEvaluation
        if (known) {
          recorded = yield* recordOnKnownPassport(trx, input)
        } else {
          // A known release: its update time moves forward (never back) and the row comes back in
          // the same statement. A new one is created here, with this, its first evaluation.
          const passport = input.decidedOn.exists
            ? yield* touchReturning(trx, input.decidedOn.passport.id, nowIso)
            : yield* findOrCreatePassport(sql, trx, input.identity, input.decidedOn.passport.id)
          // Created by someone else since the facts were read: they described a passport that never was.
          if (passport.id !== input.decidedOn.passport.id) {
            // The caller decides again and records again with the same key: it must find it free.
            if (idempotency !== undefined) yield* releaseClaim(sql, trx, scope, idempotency)
            return { _tag: "Stale" as const }
          }
          const row = evaluationRow(input, passport)
          yield* sql.attempt(() => insertEvaluation.run(trx, row))
          yield* sql.attempt(() =>
            upsertStamp.run(trx, stampOf<unknown>(row, verdict.blockers.length))
          )
          recorded = recordedOf(input, passport, row)
        }
        if (idempotency !== undefined) yield* rememberAnswer(sql, trx, scope, idempotency, recorded)
        return { _tag: "Recorded" as const, replayed: false, ...recorded }
      })
    )
  }

  const gateReplay = (input: Parameters<PassportStore["Service"]["gateReplay"]>[0]) =>
    readAnswer(sql, { workspaceId: input.workspaceId, now: input.now }, input.idempotency).pipe(
      Effect.map((found) => found?.answer as RecordedGateEvaluation | undefined)
    )

  const toStamp = (row: PassportStampRow): Stamp => ({
    environment: row.environment,
    verdict: row.verdict as Stamp["verdict"],
    mode: row.mode as Stamp["mode"],
    evaluationId: row.evaluation_id,
    blockerCount: row.blocker_count,
    evaluatedAt: readTimestamp(row.evaluated_at)
  })

  const toEvaluation = (row: GateEvaluationRow): GateEvaluation => ({
    id: row.id,
    ...toEvaluationVerdict(sql.traits, row),
    durationMs: Number(row.duration_ms),
    evidenceIds: row.evidence_ids === null ? null : readJson(row.evidence_ids) as ReadonlyArray<string>
  })

  const toEvidenceVersion = (row: EvidenceRow): EvidenceVersion => ({
    id: row.id,
    source: row.source,
    externalId: row.external_id,
    type: row.type,
    version: row.version,
    latest: row.is_latest === 1,
    status: row.status as EvidenceVersion["status"],
    summary: row.summary,
    url: row.url,
    details: row.details === null ? null : readJson(row.details),
    private: row.private === 1,
    artifactDigest: row.artifact_digest,
    sourceSha: row.source_sha,
    digestMismatch: row.digest_mismatch === 1,
    sourceShaMismatch: row.sha_mismatch === 1,
    observedAt: readTimestamp(row.observed_at),
    receivedAt: readTimestamp(row.received_at)
  })

  const stampsOf = (passportIds: ReadonlyArray<string>) =>
    passportIds.length === 0
      ? Effect.succeed(new Map<string, Array<Stamp>>())
      : sql.query((db) =>
        db.selectFrom("passport_stamps").selectAll().where("passport_id", "in", passportIds).orderBy("environment").execute()
      ).pipe(Effect.map((rows) => {
        const byPassport = new Map<string, Array<Stamp>>()
        for (const row of rows) {
          const list = byPassport.get(row.passport_id) ?? []
          list.push(toStamp(row))
          byPassport.set(row.passport_id, list)
        }
        return byPassport
      }))

  const list = (query: PassportListQuery) =>
    Effect.gen(function*() {
      const rows = yield* sql.query((db) => {
        let q = db.selectFrom("passports").selectAll().where("workspace_id", "=", query.workspaceId)
        if (query.service !== undefined) q = q.where("service_name", "=", query.service)
        if (query.namespace !== undefined) q = q.where("service_namespace", "=", query.namespace)
        if (query.since !== undefined) q = q.where("updated_at", ">=", query.since)
        if (query.environment !== undefined || query.verdict !== undefined || query.mode !== undefined) {
          q = q.where((eb) =>
            eb.exists(
              eb.selectFrom("passport_stamps").select(eb.lit(1).as("one"))
                .whereRef("passport_stamps.passport_id", "=", "passports.id")
                .$if(query.environment !== undefined, (s) => s.where("passport_stamps.environment", "=", query.environment!))
                .$if(query.verdict !== undefined, (s) => s.where("passport_stamps.verdict", "=", query.verdict!))
                .$if(query.mode !== undefined, (s) => s.where("passport_stamps.mode", "=", query.mode!))
            )
          )
        }
        const after = query.after
        if (after !== undefined) {
          q = q.where((eb) =>
            eb.or([
              eb("updated_at", "<", after.updatedAt),
              eb.and([eb("updated_at", "=", after.updatedAt), eb("id", "<", after.id)])
            ])
          )
        }
        return q.orderBy("updated_at", "desc").orderBy("id", "desc").limit(query.limit + 1).execute()
      })
      const page = rows.slice(0, query.limit).map((row) => toPassport(sql.traits, row))
      const stamps = yield* stampsOf(page.map((p) => p.id))
      const last = page.at(-1)
      return {
        items: page.map((passport) => ({ passport, stamps: stamps.get(passport.id) ?? [] })),
        next: rows.length > query.limit && last !== undefined ? { updatedAt: last.updatedAt, id: last.id } : undefined
      }
    })

  const find = (input: { readonly workspaceId: string; readonly id: string }) =>
    sql.query((db) =>
      db.selectFrom("passports").selectAll().where("id", "=", input.id).where("workspace_id", "=", input.workspaceId)
        .executeTakeFirst()
    ).pipe(Effect.map((row) => (row === undefined ? undefined : toPassport(sql.traits, row))))

  const findDetail = (input: { readonly workspaceId: string; readonly id: string; readonly limits: { readonly evaluations: number; readonly evidence: number } }) =>
    Effect.gen(function*() {
      const passport = yield* find(input)
      if (passport === undefined) return undefined
      const [stamps, evaluations, evaluationsTotal, evidence, evidenceTotal] = yield* Effect.all([
        stampsOf([passport.id]).pipe(Effect.map((byId) => byId.get(passport.id) ?? [])),
        sql.query((db) =>
          db.selectFrom("gate_evaluations").selectAll().where("passport_id", "=", passport.id)
            .orderBy("evaluated_at", "desc").orderBy("id", "desc").limit(input.limits.evaluations).execute()
        ),
        sql.query((db) =>
          db.selectFrom("gate_evaluations").select((eb) => eb.fn.countAll().as("n")).where("passport_id", "=", passport.id)
            .executeTakeFirstOrThrow()
        ),
        sql.query((db) =>
          db.selectFrom("evidence").selectAll().where("passport_id", "=", passport.id)
            .orderBy("received_at", "desc").orderBy("id", "desc").limit(input.limits.evidence).execute()
        ),
        sql.query((db) =>
          db.selectFrom("evidence").select((eb) => eb.fn.countAll().as("n")).where("passport_id", "=", passport.id)
            .executeTakeFirstOrThrow()
        )
      ])
      return {
        passport,
        stamps,
        evaluations: evaluations.map(toEvaluation),
        evaluationsTotal: toCount(evaluationsTotal.n),
        evidence: evidence.map(toEvidenceVersion),
        evidenceTotal: toCount(evidenceTotal.n)
      } satisfies PassportDetail
    })

  const overview = (query: PassportOverviewQuery) =>
    Effect.gen(function*() {
      const since = query.since.toISOString()
      const [stampCounts, dayCounts, recentRows, failingRows] = yield* Effect.all([
        sql.query((db) =>
          db.selectFrom("passport_stamps")
            .innerJoin("passports", "passports.id", "passport_stamps.passport_id")
            .where("passports.workspace_id", "=", query.workspaceId)
            .select((eb) => ["passport_stamps.environment", "passport_stamps.mode", "passport_stamps.verdict", eb.fn.countAll().as("n")])
            .groupBy(["passport_stamps.environment", "passport_stamps.mode", "passport_stamps.verdict"])
            .orderBy("passport_stamps.environment")
            .execute()
        ),
        sql.query((db) => {
          const day = sql.traits.utcDay("evaluated_at")
          return db.selectFrom("gate_evaluations")
            .where("workspace_id", "=", query.workspaceId)
            .where("evaluated_at", ">=", since)
            .select((eb) => [day.as("day"), "verdict", eb.fn.countAll().as("n")])
            .groupBy([day, "verdict"])
            .orderBy(day)
            .execute()
        }),
        sql.query((db) =>
          db.selectFrom("gate_evaluations").selectAll().where("workspace_id", "=", query.workspaceId)
            .orderBy("evaluated_at", "desc").orderBy("id", "desc").limit(query.limit).execute()
        ),
        sql.query((db) =>
          db.selectFrom("passport_stamps")
            .innerJoin("passports", "passports.id", "passport_stamps.passport_id")
            .where("passports.workspace_id", "=", query.workspaceId)
            .where("passport_stamps.verdict", "in", ["fail", "error"])
            .selectAll("passport_stamps")
            .orderBy("passport_stamps.evaluated_at", "desc").orderBy("passport_stamps.passport_id", "desc")
            .limit(query.limit)
            .execute()
        )
      ], { concurrency: "unbounded" })
      const passportIds = [...new Set([...recentRows.map((r) => r.passport_id), ...failingRows.map((r) => r.passport_id)])]
      const passportRows = passportIds.length === 0
        ? []
        : yield* sql.query((db) => db.selectFrom("passports").selectAll().where("id", "in", passportIds).execute())
      const byId = new Map(passportRows.map((row) => [row.id, toPassport(sql.traits, row)] as const))
      return {
        stamps: stampCounts.map((row) => ({
          environment: row.environment,
          mode: row.mode as Stamp["mode"],
          verdict: row.verdict as Stamp["verdict"],
          count: toCount(row.n)
        })),
        days: dayCounts.map((row) => ({ day: String(row.day), verdict: row.verdict as Stamp["verdict"], count: toCount(row.n) })),
        recent: recentRows.flatMap((row) => {
          const passport = byId.get(row.passport_id)
          return passport === undefined ? [] : [{ passport, evaluation: toEvaluation(row) }]
        }),
        failing: failingRows.flatMap((row) => {
          const passport = byId.get(row.passport_id)
          return passport === undefined ? [] : [{ passport, stamp: toStamp(row) }]
        })
      }
    })

  const pruneEvaluations = ({ before, limit }: { readonly before: Date; readonly limit: number }) =>
    sql.query((db) =>
      db.deleteFrom("gate_evaluations").where("id", "in", (eb) =>
        eb.selectFrom("gate_evaluations as old").select("old.id")
          .where("old.evaluated_at", "<", before.toISOString())
          .where((w) => w.not(w.exists(w.selectFrom("passport_stamps").select("passport_stamps.evaluation_id").whereRef("passport_stamps.evaluation_id", "=", "old.id"))))
          .limit(Math.max(1, Math.floor(limit)))
      ).executeTakeFirst()
    ).pipe(Effect.map((result) => Number(result.numDeletedRows)))

  return PassportStore.of({ gateFacts, recordGateEvaluation, gateReplay, list, find, findDetail, overview, pruneEvaluations })
}
