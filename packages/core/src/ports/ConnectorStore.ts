import { Context } from "effect"
import type { Effect } from "effect"
import type { Connector } from "../Connector.ts"
import type { StoreUnavailable } from "../errors.ts"

/** A connector with the counts the console shows next to it. */
export interface ConnectorActivity {
  readonly connector: Connector
  /** Evidence versions received in the 24 hours before `now`. */
  readonly itemsLast24h: number
  /** Requests from it refused for their content, in the 24 hours before `now`. */
  readonly rejectedLast24h: number
  readonly rejectedTotal: number
}

export class ConnectorStore extends Context.Service<ConnectorStore, {
  /** Declares (or re-declares) a connector ahead of time; it shows even before it reports. */
  readonly declare: (input: {
    readonly workspaceId: string
    readonly source: string
    readonly displayName: string | null
    readonly expectedIntervalSeconds: number | null
    readonly environments: ReadonlyArray<string>
    readonly now: Date
  }) => Effect.Effect<Connector, StoreUnavailable>
  /** Every connector of the workspace, declared or seen, with its recent activity. */
  readonly list: (input: { readonly workspaceId: string; readonly now: Date }) => Effect.Effect<
    ReadonlyArray<ConnectorActivity>,
    StoreUnavailable
  >
  /** Every connector of the workspace, without counts (the gate gets the same in `GateFacts.connectors`). */
  readonly connectors: (workspaceId: string) => Effect.Effect<ReadonlyArray<Connector>, StoreUnavailable>
  /** An authenticated request from this source was refused for its content. */
  readonly recordRejection: (input: {
    readonly workspaceId: string
    readonly source: string
    readonly code: string
    readonly now: Date
  }) => Effect.Effect<void, StoreUnavailable>
}>()("@releasepassport/core/ports/ConnectorStore") {}
