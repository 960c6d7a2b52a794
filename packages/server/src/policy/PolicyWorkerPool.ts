import { PolicyEvaluationError } from "@releasepassport/core"
import type { PolicyBundle, RawEvaluation } from "@releasepassport/core"
import { Effect } from "effect"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { Worker } from "node:worker_threads"

/**
 * The built worker script. It exists in `dist/` (tsup builds it next to the server); when the
 * server runs from sources there is none, and `policyWorkerAvailable` says so.
 */
const WORKER_URL = new URL("./policy-worker.js", import.meta.url)
export const policyWorkerAvailable = () => existsSync(fileURLToPath(WORKER_URL))

interface Pending {
  readonly resume: (effect: Effect.Effect<RawEvaluation, PolicyEvaluationError>) => void
  /** Set while this evaluation is the one its thread is running. */
  timer: NodeJS.Timeout | undefined
}

interface Slot {
  worker: Worker
  readonly pending: Map<number, Pending>
  /** Set once the thread has loaded the bundle: deadlines only run from then on. */
  ready: boolean
  readonly whenReady: Promise<void>
}

export interface PolicyWorkerPoolOptions {
  readonly bytes: Uint8Array
  readonly memoryLimitBytes: number
  /** A trial of a shipped case: the data the threads load has these config keys replaced. */
  readonly configOverride?: Record<string, unknown> | undefined
  readonly threads: number
  /**
   * Hard deadline of one evaluation, queueing included. Past it the thread is terminated
   * (with everything it held) and replaced; those evaluations fail with reason `timeout`.
   */
  readonly deadlineMs: number
  readonly onRestart?: (reason: string) => void
}

/**
 * Policy evaluation on worker threads, behind the same `PolicyBundle` interface as the
 * in-process engine (its metadata comes from a bundle already loaded and checked in this
 * thread). The in-process engine can only notice an overrun after the fact; this one stops it.
 */
export const makePolicyWorkerPool = (
  loaded: PolicyBundle,
  options: PolicyWorkerPoolOptions
): PolicyBundle & { readonly ready: (startupTimeoutMs: number) => Promise<void>; readonly close: () => Promise<void> } => {
  let nextId = 0
  let closed = false

  const spawn = (): Slot => {
    let markReady = () => {}
    const slot: Slot = {
      worker: new Worker(WORKER_URL, {
        workerData: { bytes: options.bytes, memoryLimitBytes: options.memoryLimitBytes, configOverride: options.configOverride }
      }),
      pending: new Map(),
      ready: false,
      whenReady: new Promise<void>((resolve) => (markReady = resolve))
    }
    const fail = (error: PolicyEvaluationError) => {
      for (const [id, pending] of slot.pending) {
        clearTimeout(pending.timer)
        slot.pending.delete(id)
        pending.resume(Effect.fail(error))
      }
    }
    slot.worker.on("message", (message: {
      id?: number
      ok?: boolean
      result?: unknown
      durationMs?: number
      reason?: string
      message?: string
      ready?: boolean
    }) => {
      if (message.ready === true) {
        slot.ready = true
        markReady()
        armHead(slot)
        return
      }
      if (message.id === undefined) return
      const pending = slot.pending.get(message.id)
      if (pending === undefined) return
      clearTimeout(pending.timer)
      slot.pending.delete(message.id)
      armHead(slot)
      pending.resume(
        message.ok === true
          ? Effect.succeed({ result: message.result, durationMs: message.durationMs ?? 0 })
          : Effect.fail(
            new PolicyEvaluationError({
              reason: (message.reason ?? "trap") as PolicyEvaluationError["reason"],
              message: message.message ?? "policy evaluation failed"
            })
          )
      )
    })
    // A thread that dies (a crash, or our terminate) fails what it held and is replaced.
    slot.worker.on("error", (error) => {
      fail(new PolicyEvaluationError({ reason: "trap", message: `policy thread failed: ${error.message}` }))
    })
    slot.worker.on("exit", () => {
      fail(new PolicyEvaluationError({ reason: "trap", message: "policy thread stopped" }))
      if (!closed) replace(slot, "policy thread exited")
    })
    return slot
  }

  /**
   * A thread runs its evaluations one at a time, in the order sent: the deadline of each starts
   * when it becomes the one running, so waiting behind others under load does not count
   * against the policy (the budget is about the policy, not about how busy the server is).
   */
  const armHead = (slot: Slot) => {
    if (!slot.ready) return
    const head = slot.pending.entries().next()
    if (head.done === true || head.value[1].timer !== undefined) return
    const [id, pending] = head.value
    pending.timer = setTimeout(() => timeout(slot, id), options.deadlineMs)
  }

  const slots: Array<Slot> = Array.from({ length: Math.max(1, options.threads) }, spawn)

  const replace = (slot: Slot, reason: string) => {
    const index = slots.indexOf(slot)
    if (index === -1 || closed) return
    options.onRestart?.(reason)
    slots[index] = spawn()
  }

  const timeout = (slot: Slot, id: number) => {
    const pending = slot.pending.get(id)
    if (pending === undefined) return
    const error = new PolicyEvaluationError({
      reason: "timeout",
      message: `policy evaluation did not finish within ${options.deadlineMs} ms and was stopped`
    })
    // Everything on this thread waits behind the runaway evaluation: fail it all now.
    for (const [otherId, other] of slot.pending) {
      clearTimeout(other.timer)
      slot.pending.delete(otherId)
      other.resume(Effect.fail(otherId === id ? error : new PolicyEvaluationError({ reason: "timeout", message: "policy thread was stopped while this evaluation waited" })))
    }
    const stopped = slot.worker
    const index = slots.indexOf(slot)
    if (index !== -1 && !closed) {
      options.onRestart?.("a policy evaluation overran its deadline")
      slots[index] = spawn()
    }
    stopped.removeAllListeners("exit")
    void stopped.terminate()
  }

  const evaluateRaw = (input: unknown): Effect.Effect<RawEvaluation, PolicyEvaluationError> =>
    Effect.callback<RawEvaluation, PolicyEvaluationError>((resume) => {
      // The least busy ready thread (a thread still loading only when none is ready): an
      // evaluation queued behind a runaway one shares its fate.
      const ready = slots.filter((slot) => slot.ready)
      const slot = (ready.length > 0 ? ready : slots).reduce((best, candidate) =>
        candidate.pending.size < best.pending.size ? candidate : best
      )
      const id = nextId++
      slot.pending.set(id, { resume, timer: undefined })
      slot.worker.postMessage({ id, input })
      armHead(slot)
    })

  return {
    /** Resolves once every thread has loaded the bundle (rejects after `startupTimeoutMs`). */
    ready: (startupTimeoutMs: number) =>
      Promise.race([
        Promise.all(slots.map((slot) => slot.whenReady)).then(() => undefined),
        new Promise<never>((_, reject) =>
          setTimeout(() => reject(new Error(`policy threads did not start within ${startupTimeoutMs} ms`)), startupTimeoutMs).unref()
        )
      ]),
    revision: loaded.revision,
    digest: loaded.digest,
    entrypoint: loaded.entrypoint,
    data: loaded.data,
    evaluateRaw,
    close: async () => {
      closed = true
      await Promise.all(slots.map((slot) => slot.worker.terminate()))
    }
  }
}
