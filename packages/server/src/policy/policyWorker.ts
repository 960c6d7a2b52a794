/**
 * A policy evaluation thread: loads the bundle once, then answers evaluations one at a time.
 * Runs apart from the server's event loop so that a runaway policy can be stopped (the pool
 * terminates this thread) instead of freezing every request.
 */
import { loadPolicyBundle } from "@releasepassport/core"
import { Effect } from "effect"
import { parentPort, workerData } from "node:worker_threads"

interface Setup {
  readonly bytes: Uint8Array
  readonly memoryLimitBytes: number
  readonly configOverride?: Record<string, unknown> | undefined
}

const port = parentPort
if (port === null) throw new Error("policyWorker runs as a worker thread")
const setup = workerData as Setup

const bundle = await Effect.runPromise(loadPolicyBundle(setup.bytes, { memoryLimitBytes: setup.memoryLimitBytes, configOverride: setup.configOverride }))
port.on("message", (message: { readonly id: number; readonly input: unknown }) => {
  void Effect.runPromise(Effect.result(bundle.evaluateRaw(message.input))).then((result) =>
    port.postMessage(
      result._tag === "Success"
        ? { id: message.id, ok: true, result: result.success.result, durationMs: result.success.durationMs }
        : { id: message.id, ok: false, reason: result.failure.reason, message: result.failure.message }
    )
  )
})
port.postMessage({ ready: true })
