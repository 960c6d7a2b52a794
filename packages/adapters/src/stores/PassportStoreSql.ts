import { PassportStore } from "@releasepassport/core"
import type { GateEvaluation, RecordGateEvaluation } from "@releasepassport/core"
import { Effect } from "effect"
import type { GateEvaluationRow } from "../schema.ts"
import { newId } from "./ids.ts"
import { findOrCreatePassport, toEvidenceFacts, touchPassport } from "./passportRows.ts"
import type { SqlRunner } from "./SqlRunner.ts"

export const makePassportStore = (sql: SqlRunner): PassportStore["Service"] => {
  const recordGateEvaluation = <E>(input: RecordGateEvaluation<E>) =>
    sql.transaction((trx) =>
      Effect.gen(function*() {
        const nowIso = input.now.toISOString()

        const passport = yield* findOrCreatePassport(sql, trx, input)
        const evidenceRows = yield* sql.attempt(() =>
          trx.selectFrom("evidence").selectAll().where("passport_id", "=", passport.id).where("is_latest", "=", 1)
            .orderBy("type").orderBy("source").orderBy("external_id").execute()
        )

        const verdict = yield* input.decide({
          passport: {
            id: passport.id,
            releaseId: passport.releaseId,
            artifactDigest: passport.artifactDigest,
            sourceSha: passport.sourceSha,
            service: passport.service
          },
          evidence: evidenceRows.map((row) => toEvidenceFacts(sql.traits, row))
        })

        const row: GateEvaluationRow = {
          id: newId("ge"),
          workspace_id: input.workspaceId,
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
          duration_ms: verdict.durationMs
        }
        yield* sql.attempt(() => trx.insertInto("gate_evaluations").values(row).execute())
        const stamp = {
          passport_id: passport.id,
          environment: input.environment,
          evaluation_id: row.id,
          verdict: verdict.verdict,
          mode: verdict.mode,
          blocker_count: verdict.blockers.length,
          evaluated_at: verdict.evaluatedAt
        }
        yield* sql.attempt(() =>
          trx.insertInto("passport_stamps").values(stamp).onConflict((oc) =>
            oc.columns(["passport_id", "environment"]).doUpdateSet({
              evaluation_id: stamp.evaluation_id,
              verdict: stamp.verdict,
              mode: stamp.mode,
              blocker_count: stamp.blocker_count,
              evaluated_at: stamp.evaluated_at
            }).where("passport_stamps.evaluated_at", "<=", stamp.evaluated_at)
          ).execute()
        )
        yield* touchPassport(sql, trx, passport.id, input.now)

        const evaluation: GateEvaluation = {
          id: row.id,
          passportId: passport.id,
          environment: input.environment,
          mode: verdict.mode,
          verdict: verdict.verdict,
          allowed: verdict.allowed,
          wouldBlock: verdict.wouldBlock,
          blockers: verdict.blockers,
          warnings: verdict.warnings,
          policyRevision: verdict.policy.revision,
          bundleDigest: verdict.policy.bundleDigest,
          evaluatedAt: verdict.evaluatedAt,
          durationMs: verdict.durationMs
        }
        return { passport: { ...passport, updatedAt: nowIso > passport.updatedAt ? nowIso : passport.updatedAt }, evaluation }
      })
    )

  return PassportStore.of({ recordGateEvaluation })
}
