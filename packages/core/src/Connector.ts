import type { ConnectorFreshness } from "./PolicyInput.ts"

/** What a workspace knows about one evidence source ("connector"), declared or only seen. */
export interface Connector {
  readonly source: string
  readonly displayName: string | null
  /** How often it should report; null means the default (24 h). */
  readonly expectedIntervalSeconds: number | null
  /** Environments whose required evidence comes from it (declared by an admin). */
  readonly environments: ReadonlyArray<string>
  /** Declared ahead of time by an admin (it shows even before it reports). */
  readonly declared: boolean
  /** Last accepted batch. */
  readonly lastSeenAt: string | null
  readonly lastBatch: {
    readonly at: string
    readonly outcome: "accepted" | "rejected"
    /** e.g. "2 created, 1 unchanged", or the rejection's problem code. */
    readonly detail: string
  } | null
  readonly createdAt: string
  readonly updatedAt: string
}

export const DEFAULT_CONNECTOR_INTERVAL_SECONDS = 24 * 60 * 60
/** Past this many expected intervals without a batch, a stale connector counts as silent. */
export const SILENT_AFTER_INTERVALS = 3

/**
 * Freshness against the expected interval: `fresh` within one interval of the last
 * accepted batch, `stale` within three, `silent` beyond, `never_seen` before the first.
 */
export const connectorFreshness = (
  connector: Pick<Connector, "lastSeenAt" | "expectedIntervalSeconds">,
  now: Date
): ConnectorFreshness => {
  if (connector.lastSeenAt === null) return "never_seen"
  const intervalMs = (connector.expectedIntervalSeconds ?? DEFAULT_CONNECTOR_INTERVAL_SECONDS) * 1000
  const ageMs = now.getTime() - Date.parse(connector.lastSeenAt)
  if (ageMs <= intervalMs) return "fresh"
  if (ageMs <= SILENT_AFTER_INTERVALS * intervalMs) return "stale"
  return "silent"
}
