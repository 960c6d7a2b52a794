import { LicenseService, UseCaseMetrics } from "@releasepassport/app"
import { ConnectorStore, connectorFreshness, WorkspaceStore } from "@releasepassport/core"
import { Context, Effect, Layer } from "effect"
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client"
import { Database } from "../Database.ts"

/** Seconds; gate evaluations take milliseconds, a budget overrun up to the budget (default 250 ms). */
const EVALUATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
const HTTP_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export interface ServerMetricsShape {
  readonly registry: Registry
  /** The scrape: Prometheus text exposition. */
  readonly exposition: Effect.Effect<string>
  readonly contentType: string
  readonly httpRequest: (request: { readonly method: string; readonly route: string; readonly status: number; readonly seconds: number }) => void
}

/**
 * The process's Prometheus registry (its own, not prom-client's global one, so two servers in
 * one process never mix). Counters come from the edges: the HTTP access middleware and the
 * use cases' `UseCaseMetrics` port. Gauges that describe state (database pool, connector
 * freshness, license) are read when scraped, so they are never stale; a store that is down
 * during a scrape leaves those gauges empty rather than failing the scrape.
 */
export class ServerMetrics extends Context.Service<ServerMetrics, ServerMetricsShape>()("@releasepassport/server/ServerMetrics") {
  static readonly layer = Layer.effect(
    ServerMetrics,
    Effect.gen(function*() {
      const registry = new Registry()
      collectDefaultMetrics({ register: registry, prefix: "releasepassport_" })
      const context = yield* Effect.context<Database | WorkspaceStore | ConnectorStore | LicenseService>()
      const run = <A>(effect: Effect.Effect<A, unknown, Database | WorkspaceStore | ConnectorStore | LicenseService>) =>
        Effect.runPromiseWith(context)(Effect.result(effect))
      const database = yield* Database

      const httpRequests = new Counter({
        name: "releasepassport_http_requests_total",
        help: "HTTP requests answered, by method, declared route and status.",
        labelNames: ["method", "route", "status"],
        registers: [registry]
      })
      const httpDuration = new Histogram({
        name: "releasepassport_http_request_duration_seconds",
        help: "Time from a request's arrival to its answer, by method and declared route.",
        labelNames: ["method", "route"],
        buckets: HTTP_BUCKETS,
        registers: [registry]
      })
      new Gauge({
        name: "releasepassport_db_pool_connections",
        help: "Database pool connections by state (open = idle + in use); absent for SQLite (one connection, no pool).",
        labelNames: ["state"],
        registers: [registry],
        collect() {
          this.reset()
          const stats = database.poolStats?.()
          if (stats === undefined) return
          this.set({ state: "open" }, stats.total)
          this.set({ state: "idle" }, stats.idle)
          this.set({ state: "in_use" }, stats.total - stats.idle)
          this.set({ state: "waiting" }, stats.waiting)
          this.set({ state: "max" }, stats.max)
        }
      })
      new Gauge({
        name: "releasepassport_connector_freshness",
        help: "1 for each connector's current freshness (fresh, stale, silent, never_seen), by workspace and source.",
        labelNames: ["workspace", "source", "freshness"],
        registers: [registry],
        async collect() {
          this.reset()
          const answer = await run(Effect.gen(function*() {
            const workspaces = yield* (yield* WorkspaceStore).list
            const connectors = yield* ConnectorStore
            const now = new Date()
            const rows: Array<{ workspace: string; source: string; freshness: string }> = []
            for (const workspace of workspaces) {
              for (const connector of yield* connectors.connectors(workspace.id)) {
                rows.push({ workspace: workspace.slug, source: connector.source, freshness: connectorFreshness(connector, now) })
              }
            }
            return rows
          }))
          if (answer._tag === "Success") for (const row of answer.success) this.set(row, 1)
        }
      })
      new Gauge({
        name: "releasepassport_license_days_left",
        help: "Whole days until the installed license expires (0 once expired); absent without a verified license.",
        registers: [registry],
        async collect() {
          this.reset()
          const answer = await run(Effect.flatMap(LicenseService, (license) => license.status({})))
          if (answer._tag === "Success" && answer.success.daysLeft !== null) this.set(answer.success.daysLeft)
        }
      })
      new Gauge({
        name: "releasepassport_license_status",
        help: "1 for the license's current status (active, expiring, expired, invalid, community).",
        labelNames: ["status"],
        registers: [registry],
        async collect() {
          this.reset()
          const answer = await run(Effect.flatMap(LicenseService, (license) => license.status({})))
          if (answer._tag === "Success") this.set({ status: answer.success.status }, 1)
        }
      })
      return ServerMetrics.of({
        registry,
        contentType: registry.contentType,
        exposition: Effect.promise(() => registry.metrics()),
        httpRequest: ({ method, route, status, seconds }) => {
          httpRequests.inc({ method, route, status: String(status) })
          httpDuration.observe({ method, route }, seconds)
        }
      })
    })
  )
}

/** The use cases' counters, registered in the server's registry. */
export const UseCaseMetricsLive = Layer.effect(
  UseCaseMetrics,
  Effect.map(ServerMetrics, ({ registry }) => {
    const decisions = new Counter({
      name: "releasepassport_gate_decisions_total",
      help: "Gate decisions recorded, by verdict, mode and environment.",
      labelNames: ["verdict", "mode", "environment"],
      registers: [registry]
    })
    const evaluation = new Histogram({
      name: "releasepassport_gate_evaluation_seconds",
      help: "Policy evaluation time of recorded gate decisions.",
      buckets: EVALUATION_BUCKETS,
      registers: [registry]
    })
    const policyErrors = new Counter({
      name: "releasepassport_policy_errors_total",
      help: "Gate decisions with verdict error (the policy gave no usable decision: failed, timed out, no bundle).",
      labelNames: ["environment"],
      registers: [registry]
    })
    const evidenceItems = new Counter({
      name: "releasepassport_evidence_items_total",
      help: "Evidence items accepted, by outcome (created, updated, unchanged); replays of an Idempotency-Key count once.",
      labelNames: ["outcome"],
      registers: [registry]
    })
    const redactions = new Counter({
      name: "releasepassport_redactions_total",
      help: "Values redacted from evidence before it was stored.",
      registers: [registry]
    })
    for (const outcome of ["created", "updated", "unchanged"]) evidenceItems.inc({ outcome }, 0)
    redactions.inc(0)
    return {
      gateDecided: (fact) =>
        Effect.sync(() => {
          decisions.inc({ verdict: fact.verdict, mode: fact.mode, environment: fact.environment })
          evaluation.observe(fact.evaluationMs / 1000)
          if (fact.verdict === "error") policyErrors.inc({ environment: fact.environment })
        }),
      evidenceIngested: (fact) =>
        Effect.sync(() => {
          if (fact.replayed) return
          for (const outcome of fact.outcomes) evidenceItems.inc({ outcome })
          if (fact.redactions > 0) redactions.inc(fact.redactions)
        })
    }
  })
)
