import type { PolicyBundle, PolicyBundleError } from "@releasepassport/core"
import { Context } from "effect"
import type { Effect, Scope } from "effect"

/**
 * A workspace's active or candidate bundle that this replica could not load (its bytes gone, a
 * wasm this runtime refuses): it is never half active, `inPlace` still decides (or stays the
 * candidate; null: the server's default bundle, or no candidate).
 */
export interface PolicyLoadProblem {
  readonly kind: "active" | "candidate"
  readonly digest: string
  readonly reason: string
  readonly inPlace: string | null
}

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
  /** The workspace's bundles that this replica could not load, with what decides instead. */
  readonly loadProblems: (workspaceId: string) => ReadonlyArray<PolicyLoadProblem>
}>()("@releasepassport/app/PolicyRuntime") {}
