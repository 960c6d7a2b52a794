import { caseInput, caseMismatch, caseOutcome, evaluateGate, evaluatePolicyInput, PolicyBundleStore, readBundleCases } from "@releasepassport/core"
import type { BundleCase, GateContext, PolicyBundle, PolicyBundleError, ShadowedEvaluation, PolicyEvaluationError, PolicyPointer, StoreUnavailable } from "@releasepassport/core"
import { Clock, Context, Effect, Layer } from "effect"
import { PolicyBundleNotFound, PolicyBundleRejected, PolicyInputNotFound } from "../errors.ts"
import { PolicyRuntime } from "../ports/PolicyRuntime.ts"
import { REPLAY_LIMIT } from "./CandidateReport.ts"
import type { CandidateReport, ReplayReport } from "./CandidateReport.ts"
import { candidateReport } from "./CandidateReport.ts"
import type { PassportPolicyInput, PolicyOverview, PolicySwitch, UploadedPolicyBundle } from "./PolicyViews.ts"
import { toPassportPolicyInput, toPolicyBundleView, toPolicyChangeView } from "./PolicyViews.ts"

/** Largest bundle accepted, compressed. */
export const MAX_POLICY_BUNDLE_BYTES = 10 * 1024 * 1024
const HISTORY_SHOWN = 50
/** The candidate report reads at most this many evaluations (the newest), so it stays cheap. */
export const CANDIDATE_REPORT_LIMIT = 10_000
/** A replay re-runs at most `REPLAY_LIMIT` evaluations (the oldest in the window), for at most this long. */
export const REPLAY_TIME_LIMIT_MS = 60_000

/** Who did something: `user:<id>` (a console session) or `token:<id>` (an API token). */
export type PolicyActor = string
/** The record's name for a signed-in user or a token (by id, never its value). */
export const userActor = (userId: string): PolicyActor => `user:${userId}`
export const tokenActor = (tokenId: string): PolicyActor => `token:${tokenId}`

const bundleCheck = (error: PolicyBundleError): PolicyBundleRejected["check"] =>
  error.reason === "too_large"
    ? "size"
    : error.reason === "missing_entrypoint"
    ? "entrypoint"
    : error.reason === "invalid_cases"
    ? "cases"
    : "bundle"

/** Shipped cases may replace config in at most this many different ways: each is a trial of its own. */
export const MAX_CASE_CONFIGS = 16

/** The shipped cases grouped by the config they replace (`undefined`: the bundle's own data). */
const byConfig = (cases: ReadonlyArray<BundleCase>) => {
  const groups = new Map<string, { readonly data: Record<string, unknown> | undefined; readonly cases: Array<BundleCase> }>()
  for (const testCase of cases) {
    const key = testCase.data === undefined ? "" : JSON.stringify(testCase.data)
    const group = groups.get(key) ?? { data: testCase.data, cases: [] }
    group.cases.push(testCase)
    groups.set(key, group)
  }
  return [...groups.values()]
}

/**
 * Smoke inputs every uploaded bundle must decide, well-formed and within the budget: a release
 * with everything in order, and one with nothing in order (no evidence, no rollback, a bad
 * digest), so a rule that only breaks on findings is caught too. What they decide is the
 * team's business; that they decide is ours.
 */
const smokeContexts = (now: Date): ReadonlyArray<GateContext> => {
  const passport = {
    id: "pp_smoke",
    releaseId: "smoke-1",
    artifactDigest: `sha256:${"a".repeat(64)}`,
    sourceSha: "0123456789abcdef0123456789abcdef01234567",
    service: { name: "smoke", namespace: "default" }
  }
  const good: GateContext = {
    request: {
      mode: "enforce",
      service: { name: "smoke", namespace: "default", environment: "production" },
      artifact: { digest: passport.artifactDigest },
      release: { releaseId: passport.releaseId, sourceSha: passport.sourceSha, renderedManifestPath: "deploy/smoke.yaml" },
      health: { ready: true, requireHealthyTarget: true },
      rollback: { available: true, verified: true }
    },
    passport,
    evidence: [{
      id: "evd_smoke",
      source: "ci",
      type: "smoke",
      status: "passed",
      summary: "smoke tests passed",
      artifactDigest: passport.artifactDigest,
      sourceSha: passport.sourceSha,
      observedAt: new Date(now.getTime() - 60_000).toISOString(),
      receivedAt: new Date(now.getTime() - 59_000).toISOString()
    }],
    connectors: [{ source: "ci", freshness: "fresh", environments: ["production"] }],
    now
  }
  const bad: GateContext = {
    ...good,
    request: {
      ...good.request,
      artifact: { digest: "sha256:abc123" },
      health: { ready: false, requireHealthyTarget: true },
      rollback: { available: false, verified: false }
    },
    evidence: [],
    connectors: [{ source: "ci", freshness: "silent", environments: ["production"] }]
  }
  return [good, bad]
}

/**
 * The policy lifecycle of a workspace: upload a bundle (validated before it is stored), make
 * one active or the candidate, list them with the history of changes. Which bundle decides a
 * gate is the `GatePolicy` port's answer, fed by the pointers this use case moves.
 */
export class Policies extends Context.Service<Policies, {
  readonly upload: (input: {
    readonly workspaceId: string
    readonly bytes: Uint8Array
    readonly actor: PolicyActor
  }) => Effect.Effect<UploadedPolicyBundle, PolicyBundleRejected | StoreUnavailable>
  readonly point: (input: {
    readonly workspaceId: string
    readonly kind: PolicyPointer
    readonly digest: string
    readonly actor: PolicyActor
  }) => Effect.Effect<PolicySwitch, PolicyBundleNotFound | StoreUnavailable>
  readonly overview: (workspaceId: string) => Effect.Effect<PolicyOverview, StoreUnavailable>
  /** The workspace has no candidate any more (recorded like every change; null when it had none). */
  readonly clearCandidate: (input: { readonly workspaceId: string; readonly actor: PolicyActor }) => Effect.Effect<PolicySwitch, StoreUnavailable>
  /** A passport's newest evaluation that kept its input, to re-run it through another bundle. */
  readonly passportInput: (input: {
    readonly workspaceId: string
    readonly passportId: string
  }) => Effect.Effect<PassportPolicyInput, PolicyInputNotFound | StoreUnavailable>
  /** The bytes of one of the workspace's bundles (to evaluate with it elsewhere). */
  readonly bundleBytes: (input: {
    readonly workspaceId: string
    readonly digest: string
  }) => Effect.Effect<Uint8Array, PolicyBundleNotFound | StoreUnavailable>
  /** Where the candidate and the active bundle disagreed on the workspace's gates since `since`. */
  readonly candidateReport: (input: { readonly workspaceId: string; readonly since: Date }) => Effect.Effect<CandidateReport, StoreUnavailable>
  /**
   * Re-runs an uploaded bundle over the workspace's past evaluations in [since, until) on the
   * exact inputs they were decided on, and groups where it would have decided otherwise.
   */
  readonly replay: (input: {
    readonly workspaceId: string
    readonly digest: string
    readonly since: Date
    readonly until: Date
    readonly environment?: string | undefined
    /** Page through the window: skip this many (oldest first), replay at most `limit` (≤ the bound). */
    readonly offset?: number | undefined
    readonly limit?: number | undefined
  }) => Effect.Effect<ReplayReport, PolicyBundleNotFound | PolicyBundleRejected | StoreUnavailable>
}>()("@releasepassport/app/Policies") {
  static readonly layer = Layer.effect(
    Policies,
    Effect.gen(function*() {
      const store = yield* PolicyBundleStore
      const runtime = yield* PolicyRuntime

      /** Every check the bundle must pass; the first failure is the answer. */
      const validate = (bytes: Uint8Array) =>
        Effect.scoped(Effect.gen(function*() {
          if (bytes.byteLength > MAX_POLICY_BUNDLE_BYTES) {
            return yield* new PolicyBundleRejected({
              check: "size",
              message: `the bundle is ${bytes.byteLength} bytes; the limit is ${MAX_POLICY_BUNDLE_BYTES}`
            })
          }
          const bundle = yield* runtime.trial(bytes).pipe(
            Effect.mapError((error) => new PolicyBundleRejected({ check: bundleCheck(error), message: error.message }))
          )
          const now = new Date(yield* Clock.currentTimeMillis)
          for (const [index, context] of smokeContexts(now).entries()) {
            // evaluateGate never fails; what went wrong is read from the raw failure it saw.
            let failure: PolicyEvaluationError | undefined
            const observed = {
              ...bundle,
              evaluateRaw: (input: unknown) =>
                bundle.evaluateRaw(input).pipe(Effect.tapError((error) => Effect.sync(() => (failure = error))))
            }
            const verdict = yield* evaluateGate(observed, context, { budgetMs: runtime.budgetMs })
            if (verdict.verdict !== "error") continue
            const message = `smoke input ${index + 1}: ${verdict.blockers[0]?.message ?? "no decision"}`
            const check: PolicyBundleRejected["check"] = failure !== undefined
              ? failure.reason === "timeout" ? "budget" : "trap"
              : verdict.durationMs > runtime.budgetMs
              ? "budget"
              : "decision"
            return yield* new PolicyBundleRejected({ check, message })
          }
          yield* checkShippedCases(bytes, bundle)
          return bundle
        }))

      /**
       * Every case the bundle ships must give exactly the codes it expects, evaluated like a gate
       * (same budget, a policy thread of its own); the first that does not is the answer.
       */
      const checkShippedCases = (bytes: Uint8Array, bundle: PolicyBundle) =>
        Effect.gen(function*() {
          const cases = yield* readBundleCases(bytes).pipe(
            Effect.mapError((error) => new PolicyBundleRejected({ check: bundleCheck(error), message: error.message }))
          )
          if (cases === undefined) return
          const groups = byConfig(cases)
          if (groups.length > MAX_CASE_CONFIGS) {
            return yield* new PolicyBundleRejected({
              check: "cases",
              message: `the cases replace config in ${groups.length} different ways; at most ${MAX_CASE_CONFIGS} are run`
            })
          }
          for (const group of groups) {
            const deciding = group.data === undefined
              ? bundle
              : yield* runtime.trial(bytes, { configOverride: group.data }).pipe(
                Effect.mapError((error) => new PolicyBundleRejected({ check: "cases", message: `with the data of case ${JSON.stringify(group.cases[0]?.name)}: ${error.message}` }))
              )
            for (const testCase of group.cases) {
              const verdict = yield* evaluatePolicyInput(deciding, caseInput(testCase), { budgetMs: runtime.budgetMs })
              const mismatch = caseMismatch(testCase, caseOutcome(verdict))
              if (mismatch !== undefined) return yield* new PolicyBundleRejected({ check: "cases", message: mismatch })
            }
          }
        })

      return Policies.of({
        upload: Effect.fn("Policies.upload")(function*({ workspaceId, bytes, actor }) {
          const bundle = yield* validate(bytes)
          const now = new Date(yield* Clock.currentTimeMillis)
          const saved = yield* store.save({ workspaceId, digest: bundle.digest, revision: bundle.revision, bytes, uploadedBy: actor, now })
          const pointers = yield* store.pointers(workspaceId)
          return { bundle: toPolicyBundleView(saved.bundle, pointers), created: saved.created }
        }),
        point: Effect.fn("Policies.point")(function*({ workspaceId, kind, digest, actor }) {
          const now = new Date(yield* Clock.currentTimeMillis)
          const moved = yield* store.point({ workspaceId, kind, digest, changedBy: actor, now })
          if (moved._tag === "Missing") return yield* new PolicyBundleNotFound({ digest })
          // This replica switches at once; the others notice on their next look at the pointers.
          yield* runtime.refresh(workspaceId)
          return { change: moved._tag === "Changed" ? toPolicyChangeView(moved.change) : null }
        }),
        clearCandidate: Effect.fn("Policies.clearCandidate")(function*({ workspaceId, actor }) {
          const now = new Date(yield* Clock.currentTimeMillis)
          const moved = yield* store.point({ workspaceId, kind: "candidate", digest: null, changedBy: actor, now })
          yield* runtime.refresh(workspaceId)
          return { change: moved._tag === "Changed" ? toPolicyChangeView(moved.change) : null }
        }),
        candidateReport: Effect.fn("Policies.candidateReport")(function*({ workspaceId, since }) {
          const read = yield* store.shadowedEvaluations({ workspaceId, since, limit: CANDIDATE_REPORT_LIMIT + 1 })
          const truncated = read.length > CANDIDATE_REPORT_LIMIT
          return candidateReport(truncated ? read.slice(0, CANDIDATE_REPORT_LIMIT) : read, { since, truncated })
        }),
        replay: Effect.fn("Policies.replay")(function*({ workspaceId, digest, since, until, environment, offset = 0, limit: asked }) {
          const bytes = yield* store.bytes({ workspaceId, digest })
          if (bytes === undefined) return yield* new PolicyBundleNotFound({ digest })
          const limit = Math.max(1, Math.min(asked ?? REPLAY_LIMIT, REPLAY_LIMIT))
          const [past, inWindow] = yield* Effect.all([
            store.replayableEvaluations({ workspaceId, since, until, environment, limit: limit + 1, offset }),
            store.countReplayable({ workspaceId, since, until, environment })
          ])
          const truncated = past.length > limit
          const window = truncated ? past.slice(0, limit) : past
          return yield* Effect.scoped(Effect.gen(function*() {
            // On a policy thread of its own, like an upload's trial: the gates' threads are not shared.
            const bundle = yield* runtime.trial(bytes).pipe(
              Effect.mapError((error) => new PolicyBundleRejected({ check: bundleCheck(error), message: error.message }))
            )
            const started = yield* Clock.currentTimeMillis
            const replayed: Array<ShadowedEvaluation> = []
            let stoppedEarly = false
            for (const evaluation of window) {
              if ((yield* Clock.currentTimeMillis) - started > REPLAY_TIME_LIMIT_MS) {
                stoppedEarly = true
                break
              }
              const verdict = yield* evaluatePolicyInput(bundle, evaluation.policyInput, { budgetMs: runtime.budgetMs })
              replayed.push({
                ...evaluation,
                candidate: {
                  verdict: verdict.verdict,
                  blockers: verdict.blockers,
                  warnings: verdict.warnings,
                  revision: verdict.policy.revision,
                  bundleDigest: verdict.policy.bundleDigest
                }
              })
            }
            const report = candidateReport(replayed, { since, truncated })
            return {
              ...report,
              bundle: { digest: bundle.digest, revision: bundle.revision },
              until: until.toISOString(),
              replayed: replayed.length,
              stoppedEarly,
              inWindow,
              offset
            }
          }))
        }),
        passportInput: Effect.fn("Policies.passportInput")(function*({ workspaceId, passportId }) {
          const [evaluation, pointers] = yield* Effect.all([
            store.latestReplayable({ workspaceId, passportId }),
            store.pointers(workspaceId)
          ])
          if (evaluation === undefined) return yield* new PolicyInputNotFound({ passportId })
          return toPassportPolicyInput(evaluation, pointers.activeDigest)
        }),
        bundleBytes: Effect.fn("Policies.bundleBytes")(function*({ workspaceId, digest }) {
          const bytes = yield* store.bytes({ workspaceId, digest })
          if (bytes === undefined) return yield* new PolicyBundleNotFound({ digest })
          return bytes
        }),
        overview: Effect.fn("Policies.overview")(function*(workspaceId: string) {
          const [pointers, bundles, history] = yield* Effect.all([
            store.pointers(workspaceId),
            store.list(workspaceId),
            store.history({ workspaceId, limit: HISTORY_SHOWN })
          ])
          return {
            active: pointers.activeDigest ?? null,
            candidate: pointers.candidateDigest ?? null,
            bundles: bundles.map((bundle) => toPolicyBundleView(bundle, pointers)),
            history: history.map(toPolicyChangeView),
            loadProblems: runtime.loadProblems(workspaceId).map(({ kind, digest, reason, inPlace }) => ({ kind, digest, reason, inPlace }))
          }
        })
      })
    })
  )
}
