import { ReportStore } from "@releasepassport/core"
import type { DecisionCursor, DecisionQuery, DecisionRecord } from "@releasepassport/core"
import { Effect } from "effect"
import { toEvaluationVerdict } from "./passportRows.ts"
import type { SqlRunner } from "./SqlRunner.ts"

/**
 * Reports read gate evaluations with their passport, workspace and token in pages (keyset on
 * evaluation time and id, index `gate_evaluations_workspace_evaluated`), so an export of any
 * window holds one page at a time. Columns are listed one by one: the stored request and
 * anything else not named here never leaves the database through a report.
 */
export const makeReportStore = (sql: SqlRunner): ReportStore["Service"] => {
  const decisions = (query: DecisionQuery & { readonly limit: number; readonly after?: DecisionCursor }) =>
    sql.query((db) => {
      let q = db.selectFrom("gate_evaluations as e")
        .innerJoin("passports as p", "p.id", "e.passport_id")
        .innerJoin("workspaces as w", "w.id", "e.workspace_id")
        .leftJoin("api_tokens as t", "t.id", "e.token_id")
        .select([
          "e.id as id",
          "e.passport_id as passport_id",
          "w.slug as workspace_slug",
          "p.service_name as service_name",
          "p.service_namespace as service_namespace",
          "e.environment as environment",
          "p.release_id as release_id",
          "p.artifact_digest as artifact_digest",
          "p.source_sha as source_sha",
          "e.mode as mode",
          "e.verdict as verdict",
          "e.allowed as allowed",
          "e.would_block as would_block",
          "e.blockers as blockers",
          "e.warnings as warnings",
          "e.policy_revision as policy_revision",
          "e.bundle_digest as bundle_digest",
          "e.evaluated_at as evaluated_at",
          "t.id as token_id",
          "t.name as token_name"
        ])
        .where("e.workspace_id", "=", query.workspaceId)
        .where("e.evaluated_at", ">=", query.since)
        .where("e.evaluated_at", "<", query.until)
      if (query.service !== undefined) q = q.where("p.service_name", "=", query.service)
      if (query.namespace !== undefined) q = q.where("p.service_namespace", "=", query.namespace)
      if (query.environment !== undefined) q = q.where("e.environment", "=", query.environment)
      if (query.verdict !== undefined) q = q.where("e.verdict", "=", query.verdict)
      if (query.mode !== undefined) q = q.where("e.mode", "=", query.mode)
      const after = query.after
      if (after !== undefined) {
        // A row-value comparison, which both dialects turn into one range scan of the index
        // (the equivalent OR of two conditions made PostgreSQL filter instead).
        q = q.where((eb) => eb(eb.refTuple("e.evaluated_at", "e.id"), ">", eb.tuple(after.evaluatedAt, after.id)))
      }
      return q.orderBy("e.evaluated_at", "asc").orderBy("e.id", "asc").limit(query.limit).execute()
    }).pipe(Effect.map((rows) =>
      rows.map((row): DecisionRecord => ({
        ...toEvaluationVerdict(sql.traits, row),
        evaluationId: row.id,
        workspaceSlug: row.workspace_slug,
        service: row.service_name,
        namespace: row.service_namespace,
        releaseId: row.release_id,
        artifactDigest: row.artifact_digest,
        sourceSha: row.source_sha,
        token: row.token_id === null || row.token_name === null ? null : { id: row.token_id, name: row.token_name }
      }))
    ))

  return ReportStore.of({ decisions })
}
