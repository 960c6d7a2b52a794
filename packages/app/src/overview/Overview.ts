import type { ConnectorFreshness, LicenseStatus, StoreUnavailable } from "@releasepassport/core"
import { Context, Effect, Layer } from "effect"
import type { IntegrationList } from "../integrations/ConnectorView.ts"
import { Integrations } from "../integrations/Integrations.ts"
import { LicenseService } from "../license/LicenseService.ts"
import type { PassportOverviewView } from "../passports/PassportSchemas.ts"
import { Passports } from "../passports/Passports.ts"
import type { Reader } from "../passports/Passports.ts"

/** One thing on the overview that needs someone. */
export type AttentionItem =
  | ({ readonly _tag: "Verdict" } & PassportOverviewView["attention"][number])
  | {
    readonly _tag: "Connector"
    readonly source: string
    readonly displayName: string | null
    readonly freshness: Extract<ConnectorFreshness, "stale" | "silent">
    readonly lastSeenAt: string | null
  }
  | {
    readonly _tag: "License"
    readonly status: Extract<LicenseStatus["status"], "expiring" | "expired" | "invalid">
    /** Whole days until expiry (`expiring`); null otherwise. */
    readonly daysLeft: number | null
  }

/** A workspace at a glance: its verdicts, and what needs attention (verdicts, connectors, the license). */
export interface WorkspaceOverview {
  readonly environments: PassportOverviewView["environments"]
  readonly days: PassportOverviewView["days"]
  readonly recent: PassportOverviewView["recent"]
  /** Latest verdicts that need someone first, then unwell connectors, then the license. */
  readonly attention: ReadonlyArray<AttentionItem>
}

/** What counts as needing attention, from the three reads (kept apart from them so it can be read alone). */
export const attentionOf = (
  passports: PassportOverviewView,
  connectors: IntegrationList,
  license: LicenseStatus
): ReadonlyArray<AttentionItem> => {
  const items: Array<AttentionItem> = passports.attention.map((item) => ({ _tag: "Verdict" as const, ...item }))
  for (const connector of connectors.connectors) {
    if (connector.freshness === "stale" || connector.freshness === "silent") {
      items.push({
        _tag: "Connector",
        source: connector.source,
        displayName: connector.displayName,
        freshness: connector.freshness,
        lastSeenAt: connector.lastSeenAt
      })
    }
  }
  if (license.status === "expiring" || license.status === "expired" || license.status === "invalid") {
    items.push({ _tag: "License", status: license.status, daysLeft: license.status === "expiring" ? license.daysLeft : null })
  }
  return items
}

/**
 * The console's overview: one use case over the passports, the connectors and the license, so
 * the page only renders what this decides needs attention. Reads the three concurrently.
 */
export class Overview extends Context.Service<Overview, {
  readonly workspace: (reader: Reader, query: { readonly days: number }) => Effect.Effect<WorkspaceOverview, StoreUnavailable>
}>()("@releasepassport/app/Overview") {
  static readonly layer = Layer.effect(
    Overview,
    Effect.gen(function*() {
      const passports = yield* Passports
      const integrations = yield* Integrations
      const licenses = yield* LicenseService
      return Overview.of({
        workspace: Effect.fn("Overview.workspace")(function*(reader, query) {
          const workspaceId = reader.membership.workspace.id
          const [verdicts, connectors, license] = yield* Effect.all([
            passports.overview(reader, query),
            integrations.list(workspaceId),
            licenses.status({ workspaceId })
          ], { concurrency: "unbounded" })
          return {
            environments: verdicts.environments,
            days: verdicts.days,
            recent: verdicts.recent,
            attention: attentionOf(verdicts, connectors, license)
          }
        })
      })
    })
  )
}
