import type { PolicyBundle } from "@releasepassport/core"
import { Context } from "effect"
import type { Effect } from "effect"

/**
 * Which policy bundle decides for a workspace, and its time budget. The server provides it
 * (a bundle loaded from disk, evaluated on worker threads); tests provide a bundle directly.
 */
export class GatePolicy extends Context.Service<GatePolicy, {
  readonly forWorkspace: (workspaceId: string) => Effect.Effect<{
    readonly bundle: PolicyBundle
    readonly budgetMs: number
    /** The workspace's candidate bundle, evaluated in shadow beside `bundle` (never deciding). */
    readonly candidate?: PolicyBundle | undefined
  }>
}>()("@releasepassport/app/GatePolicy") {}
