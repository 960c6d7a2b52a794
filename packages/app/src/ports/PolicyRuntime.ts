import type { PolicyBundle, PolicyBundleError } from "@releasepassport/core"
import { Context } from "effect"
import type { Effect, Scope } from "effect"

/**
 * Where uploaded bundles are tried and how a replica learns of a switch. The server provides
 * it (policy threads, a cache per digest); the `Policies` use case decides what counts as valid.
 */
export class PolicyRuntime extends Context.Service<PolicyRuntime, {
  /**
   * Loads bundle bytes for a trial, isolated from the bundles that decide gates: an evaluation
   * that overruns is stopped without stopping anyone else's. Released with the scope.
   * `configOverride` replaces top-level keys of the data's `releasepassport.config` (a shipped
   * case's `data`).
   */
  readonly trial: (
    bytes: Uint8Array,
    options?: { readonly configOverride?: Record<string, unknown> | undefined }
  ) => Effect.Effect<PolicyBundle, PolicyBundleError, Scope.Scope>
  /** The time budget of one evaluation, the same the gate applies. */
  readonly budgetMs: number
  /** A workspace's pointers changed here: switch this replica now (the others notice by themselves). */
  readonly refresh: (workspaceId: string) => Effect.Effect<void>
}>()("@releasepassport/app/PolicyRuntime") {}
