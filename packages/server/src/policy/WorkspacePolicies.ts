import { GatePolicy, PolicyRuntime } from "@releasepassport/app"
import type { PolicyLoadProblem } from "@releasepassport/app"
import { POLICY_CHANGES_CHANNEL } from "@releasepassport/adapters"
import { loadPolicyBundle, PolicyBundleStore } from "@releasepassport/core"
import type { PolicyBundle, PolicyBundleError, WorkspacePolicyPointers } from "@releasepassport/core"
import { Context, Effect, Layer, Schedule, Semaphore } from "effect"
import { Database } from "../Database.ts"
import { ServerConfig } from "../ServerConfig.ts"
import type { ServerConfigShape } from "../ServerConfig.ts"
import { PolicyEngine } from "./PolicyEngine.ts"
import { makePolicyWorkerPool, policyWorkerAvailable } from "./PolicyWorkerPool.ts"

const DEADLINE_GRACE_MS = 50
const THREAD_STARTUP_MS = 30_000

interface Loaded {
  readonly bundle: PolicyBundle
  readonly close: () => Promise<void>
}

/**
 * A workspace's active (or candidate) bundle that could not be loaded on this replica; the
 * previous one still decides (or stays the candidate).
 */
export interface WorkspacePolicyProblem {
  readonly workspaceId: string
  readonly kind: "active" | "candidate"
  readonly digest: string
  readonly reason: string
}

/**
 * Loads bundle bytes to decide with: checked in this thread, then evaluated on `threads`
 * policy threads that stop an evaluation past its deadline (in this thread when there are
 * none, as the server's default bundle is).
 */
const loadBundle = (
  bytes: Uint8Array,
  config: ServerConfigShape,
  threads: number,
  configOverride?: Record<string, unknown>
): Effect.Effect<Loaded, PolicyBundleError> =>
  Effect.flatMap(loadPolicyBundle(bytes, { memoryLimitBytes: config.policyMemoryLimitBytes, configOverride }), (inProcess) => {
    if (threads <= 0 || !policyWorkerAvailable()) {
      return Effect.succeed<Loaded>({ bundle: inProcess, close: () => Promise.resolve() })
    }
    return Effect.suspend(() => {
      const pool = makePolicyWorkerPool(inProcess, {
        bytes,
        memoryLimitBytes: config.policyMemoryLimitBytes,
        configOverride,
        threads,
        deadlineMs: config.policyBudgetMs + DEADLINE_GRACE_MS,
        onRestart: (reason) => Effect.runFork(Effect.logWarning(`policy thread replaced (${inProcess.digest}): ${reason}`))
      })
      return Effect.tryPromise(() => pool.ready(THREAD_STARTUP_MS)).pipe(
        Effect.as<Loaded>({ bundle: pool, close: pool.close }),
        // Threads that cannot start: evaluate in this thread rather than not at all.
        Effect.catch((error) =>
          Effect.promise(() => pool.close()).pipe(
            Effect.andThen(Effect.logWarning(`policy threads unavailable for ${inProcess.digest}: ${String(error)}`)),
            Effect.as<Loaded>({ bundle: inProcess, close: () => Promise.resolve() })
          )
        )
      )
    })
  })

/**
 * Which bundle decides for each workspace on this replica. A workspace with an active bundle of
 * its own decides with it (loaded once per digest, shared by the workspaces that upload the same
 * bytes); any other with the server's default bundle. The replica learns of a switch made
 * elsewhere by reading every workspace's pointers every `policyPollIntervalMs` (one small
 * query), and of one made here at once (`refresh`). Where the database pushes notifications
 * (PostgreSQL LISTEN/NOTIFY), a switch made elsewhere is announced on commit and this replica
 * reloads that workspace at once; the poll stays, for a notification lost while the listening
 * connection was down (a reconnect also re-reads everything) or a database that cannot push.
 *
 * A bundle that stops loading (its bytes gone, a wasm this runtime refuses) is never half
 * active: the workspace keeps deciding with the bundle it had, and the failure is reported
 * (`problems`, shown by `/readyz`; `GET /policies` and the console's Policies page show the
 * workspace's own) until the pointer moves again.
 */
export class WorkspacePolicies extends Context.Service<WorkspacePolicies, {
  readonly forWorkspace: (workspaceId: string) => PolicyBundle
  /** The workspace's candidate bundle, when it has one loaded here. */
  readonly candidateFor: (workspaceId: string) => PolicyBundle | undefined
  readonly problems: () => ReadonlyArray<WorkspacePolicyProblem>
  /** One workspace's problems here, with the bundle that decides (or stays the candidate) instead. */
  readonly loadProblems: (workspaceId: string) => ReadonlyArray<PolicyLoadProblem>
  readonly refresh: (workspaceId: string) => Effect.Effect<void>
}>()("@releasepassport/server/WorkspacePolicies") {
  static readonly layer = Layer.effect(
    WorkspacePolicies,
    Effect.gen(function*() {
      const config = yield* ServerConfig
      const engine = yield* PolicyEngine
      const store = yield* PolicyBundleStore
      const database = yield* Database
      const loaded = new Map<string, Loaded>()
      // Per pointer: workspace -> the digest loaded for it here.
      const deciding = { active: new Map<string, string>(), candidate: new Map<string, string>() }
      const problems = new Map<string, WorkspacePolicyProblem>()
      const problemKey = (kind: string, workspaceId: string) => `${kind}\n${workspaceId}`
      // Syncs take turns: a poll and a refresh never load the same digest twice or race a swap.
      const turns = yield* Semaphore.make(1)

      const closeUnused = Effect.promise(async () => {
        const used = new Set([...deciding.active.values(), ...deciding.candidate.values()])
        for (const [digest, entry] of loaded) {
          if (used.has(digest)) continue
          loaded.delete(digest)
          await entry.close()
        }
      })
      yield* Effect.addFinalizer(() =>
        Effect.promise(async () => {
          deciding.active.clear()
          deciding.candidate.clear()
          await Promise.all([...loaded.values()].map((entry) => entry.close()))
          loaded.clear()
        })
      )

      const load = (workspaceId: string, digest: string) =>
        Effect.gen(function*() {
          if (loaded.has(digest)) return true
          const bytes = yield* store.bytes({ workspaceId, digest })
          if (bytes === undefined) return `no bundle ${digest} is stored for this workspace`
          const result = yield* Effect.result(loadBundle(bytes, config, config.policyThreads))
          if (result._tag === "Failure") return result.failure.message
          loaded.set(digest, result.success)
          yield* Effect.logInfo(`policy bundle loaded for workspace ${workspaceId}: revision ${result.success.bundle.revision}, ${digest}`)
          return true
        })

      const applyOne = (workspaceId: string, kind: "active" | "candidate", wanted: string | undefined) =>
        Effect.gen(function*() {
          const loadedFor = deciding[kind]
          const key = problemKey(kind, workspaceId)
          if (wanted === undefined) {
            loadedFor.delete(workspaceId)
            problems.delete(key)
            return
          }
          if (loadedFor.get(workspaceId) === wanted) {
            problems.delete(key)
            return
          }
          // A digest that failed is not retried every poll; moving the pointer tries again.
          if (problems.get(key)?.digest === wanted) return
          const outcome = yield* load(workspaceId, wanted)
          if (outcome === true) {
            loadedFor.set(workspaceId, wanted)
            problems.delete(key)
            return
          }
          problems.set(key, { workspaceId, kind, digest: wanted, reason: outcome })
          yield* Effect.logError(
            `workspace ${workspaceId}: ${kind} policy bundle ${wanted} cannot be loaded, ` +
              `${kind === "active" ? "the previous bundle keeps deciding" : "the previous candidate stays"}: ${outcome}`
          )
        })

      const apply = (pointers: WorkspacePolicyPointers) =>
        Effect.andThen(
          applyOne(pointers.workspaceId, "active", pointers.activeDigest),
          applyOne(pointers.workspaceId, "candidate", pointers.candidateDigest)
        )

      const syncAll = turns.withPermits(1)(
        Effect.gen(function*() {
          const all = yield* store.allPointers
          const seen = new Set<string>()
          for (const pointers of all) {
            seen.add(pointers.workspaceId)
            yield* apply(pointers)
          }
          for (const loadedFor of [deciding.active, deciding.candidate]) {
            for (const workspaceId of [...loadedFor.keys()]) if (!seen.has(workspaceId)) loadedFor.delete(workspaceId)
          }
          yield* closeUnused
        })
      )

      // Before the first request: a replica that starts decides with the bundles already active.
      yield* syncAll.pipe(Effect.catch((error) => Effect.logWarning(`policy pointers not read at start: ${error.message}`)))
      yield* syncAll.pipe(
        Effect.catch((error) => Effect.logWarning(`policy pointers not read (retrying): ${error.message}`)),
        Effect.repeat(Schedule.spaced(`${config.policyPollIntervalMs} millis`)),
        Effect.delay(`${config.policyPollIntervalMs} millis`),
        Effect.forkScoped
      )

      const refresh = (workspaceId: string) =>
        turns.withPermits(1)(
          Effect.flatMap(store.pointers(workspaceId), apply).pipe(Effect.andThen(closeUnused))
        ).pipe(
          // The poll retries what a refresh could not read; the switch is then a few seconds late, not lost.
          Effect.catch((error) => Effect.logWarning(`policy pointers of ${workspaceId} not read: ${error.message}`))
        )

      if (database.listen !== undefined) {
        const run = Effect.runForkWith(yield* Effect.context<never>())
        const listening = database.listen({
          channel: POLICY_CHANGES_CHANNEL,
          // The payload is a workspace id; one of another schema on the same database is a
          // harmless read of pointers that are not there.
          onNotify: (workspaceId) => void run(refresh(workspaceId)),
          onConnected: () =>
            void run(syncAll.pipe(Effect.catch((error) => Effect.logWarning(`policy pointers not read after listening: ${error.message}`)))),
          onProblem: (message) => void run(Effect.logWarning(message))
        })
        yield* Effect.addFinalizer(() => Effect.promise(() => listening.close()))
      }

      return WorkspacePolicies.of({
        forWorkspace: (workspaceId) => {
          const digest = deciding.active.get(workspaceId)
          const entry = digest === undefined ? undefined : loaded.get(digest)
          return entry?.bundle ?? engine.bundle
        },
        candidateFor: (workspaceId) => {
          const digest = deciding.candidate.get(workspaceId)
          return digest === undefined ? undefined : loaded.get(digest)?.bundle
        },
        problems: () => [...problems.values()],
        loadProblems: (workspaceId) =>
          (["active", "candidate"] as const).flatMap((kind) => {
            const problem = problems.get(problemKey(kind, workspaceId))
            return problem === undefined
              ? []
              : [{ kind, digest: problem.digest, reason: problem.reason, inPlace: deciding[kind].get(workspaceId) ?? null }]
          }),
        refresh
      })
    })
  )
}

/** The app's `GatePolicy` port: the workspace's bundle (or the server default) and the budget. */
export const GatePolicyLive = Layer.effect(
  GatePolicy,
  Effect.gen(function*() {
    const policies = yield* WorkspacePolicies
    const config = yield* ServerConfig
    return GatePolicy.of({
      forWorkspace: (workspaceId) =>
        Effect.sync(() => ({
          bundle: policies.forWorkspace(workspaceId),
          budgetMs: config.policyBudgetMs,
          candidate: policies.candidateFor(workspaceId)
        }))
    })
  })
)

/**
 * The app's `PolicyRuntime` port. A trial runs on one policy thread of its own, so an uploaded
 * bundle that overruns is stopped without stopping a thread that decides gates.
 */
export const PolicyRuntimeLive = Layer.effect(
  PolicyRuntime,
  Effect.gen(function*() {
    const policies = yield* WorkspacePolicies
    const config = yield* ServerConfig
    return PolicyRuntime.of({
      trial: (bytes, options) =>
        // Not waited for: a thread replaced after an overrun can take long to stop while it is
        // still loading, and the upload's answer does not depend on it.
        Effect.acquireRelease(loadBundle(bytes, config, 1, options?.configOverride), (entry) => Effect.sync(() => void entry.close().catch(() => undefined))).pipe(
          Effect.map((entry) => entry.bundle)
        ),
      budgetMs: config.policyBudgetMs,
      refresh: policies.refresh,
      loadProblems: policies.loadProblems
    })
  })
)
