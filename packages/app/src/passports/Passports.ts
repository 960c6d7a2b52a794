import { CommentStore, PassportStore, roleAtLeast } from "@releasepassport/core"
import type { GateMode, Membership, StoreUnavailable, VerdictKind } from "@releasepassport/core"
import { Clock, Context, Effect, Layer } from "effect"
import { InvalidCursor, PassportNotFound } from "../errors.ts"
import { GatePolicy } from "../ports/GatePolicy.ts"
import type { PassportDetailView, PassportOverviewView, PassportPage } from "./PassportSchemas.ts"
import { decodeCursor, detailView, encodeCursor, listItemView } from "./PassportViews.ts"

const DEFAULT_PAGE = 50
const DETAIL_LIMITS = { evaluations: 200, evidence: 500 }
const DAY_MS = 86_400_000
const OVERVIEW_LIMIT = 20
const MAX_OVERVIEW_DAYS = 366

type Counts = { pass: number; warn: number; fail: number; error: number }
const zero = (): Counts => ({ pass: 0, warn: 0, fail: 0, error: 0 })

/** Who is reading: what they may see (private details) and delete (their comments; admins: any). */
export interface Reader {
  readonly userId: string
  readonly membership: Membership
}

export interface PassportFilters {
  readonly service?: string | undefined
  readonly namespace?: string | undefined
  readonly environment?: string | undefined
  readonly verdict?: VerdictKind | undefined
  readonly mode?: GateMode | undefined
  /** RFC 3339: passports updated at or after. */
  readonly since?: string | undefined
}

export const viewer = (reader: Reader) => ({ userId: reader.userId, isAdmin: roleAtLeast(reader.membership.role, "admin") })

/**
 * Reading passports (with their comments): the use case behind the JSON API, the console pages
 * and the reports. Another workspace's passport is `PassportNotFound`, exactly like a missing one.
 */
export class Passports extends Context.Service<Passports, {
  readonly list: (
    reader: Reader,
    query: PassportFilters & { readonly limit?: number | undefined; readonly cursor?: string | undefined }
  ) => Effect.Effect<PassportPage, InvalidCursor | StoreUnavailable>
  readonly detail: (reader: Reader, id: string) => Effect.Effect<PassportDetailView, PassportNotFound | StoreUnavailable>
  /** The workspace at a glance: latest verdicts per environment, the last `days` UTC days, what needs attention. */
  readonly overview: (reader: Reader, query: { readonly days: number }) => Effect.Effect<PassportOverviewView, StoreUnavailable>
}>()("@releasepassport/app/Passports") {
  static readonly layer = Layer.effect(
    Passports,
    Effect.gen(function*() {
      const passports = yield* PassportStore
      const comments = yield* CommentStore
      const policy = yield* GatePolicy
      return Passports.of({
        list: Effect.fn("Passports.list")(function*(reader, query) {
          const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
          if (query.cursor !== undefined && after === undefined) return yield* new InvalidCursor()
          const page = yield* passports.list({
            workspaceId: reader.membership.workspace.id,
            limit: query.limit ?? DEFAULT_PAGE,
            ...(query.service !== undefined ? { service: query.service } : {}),
            ...(query.namespace !== undefined ? { namespace: query.namespace } : {}),
            ...(query.environment !== undefined ? { environment: query.environment } : {}),
            ...(query.verdict !== undefined ? { verdict: query.verdict } : {}),
            ...(query.mode !== undefined ? { mode: query.mode } : {}),
            ...(query.since !== undefined ? { since: new Date(query.since).toISOString() } : {}),
            ...(after !== undefined ? { after } : {})
          })
          return {
            items: page.items.map(listItemView),
            nextCursor: page.next === undefined ? null : encodeCursor(page.next)
          }
        }),
        detail: Effect.fn("Passports.detail")(function*(reader, id) {
          const workspaceId = reader.membership.workspace.id
          const detail = yield* passports.findDetail({ workspaceId, id, limits: DETAIL_LIMITS })
          if (detail === undefined) return yield* new PassportNotFound()
          const thread = yield* comments.list({ workspaceId, passportId: id })
          // Ages are measured against the bundle that decides this workspace's next gate.
          const { bundle } = yield* policy.forWorkspace(workspaceId)
          const nowMs = yield* Clock.currentTimeMillis
          return detailView(detail, thread, viewer(reader), { nowMs, policyData: bundle.data })
        }),
        overview: Effect.fn("Passports.overview")(function*(reader, query) {
          const days = Math.min(Math.max(1, Math.floor(query.days)), MAX_OVERVIEW_DAYS)
          const now = yield* Clock.currentTimeMillis
          const today = Math.floor(now / DAY_MS) * DAY_MS
          const first = today - (days - 1) * DAY_MS
          const read = yield* passports.overview({
            workspaceId: reader.membership.workspace.id,
            since: new Date(first),
            limit: OVERVIEW_LIMIT
          })
          const environments = new Map<string, Counts>()
          for (const row of read.stamps) {
            const counts = environments.get(row.environment) ?? zero()
            counts[row.verdict] += row.count
            environments.set(row.environment, counts)
          }
          const perDay = new Map<string, Counts>()
          for (let at = first; at <= today; at += DAY_MS) perDay.set(new Date(at).toISOString().slice(0, 10), zero())
          for (const row of read.days) {
            const counts = perDay.get(row.day)
            if (counts !== undefined) counts[row.verdict] += row.count
          }
          const summary = (passport: (typeof read.recent)[number]["passport"], at: {
            readonly environment: string
            readonly mode: GateMode
            readonly verdict: VerdictKind
            readonly evaluatedAt: string
          }) => ({
            passportId: passport.id,
            service: { name: passport.service.name, namespace: passport.service.namespace },
            releaseId: passport.releaseId,
            environment: at.environment,
            mode: at.mode,
            verdict: at.verdict,
            evaluatedAt: at.evaluatedAt
          })
          return {
            environments: [...environments].map(([environment, counts]) => ({ environment, ...counts })),
            days: [...perDay].map(([day, counts]) => ({ day, ...counts })),
            recent: read.recent.map(({ passport, evaluation }) => summary(passport, evaluation)),
            attention: read.failing.map(({ passport, stamp }) => ({
              ...summary(passport, stamp),
              reason: stamp.verdict === "error" ? "error" as const : stamp.mode === "enforce" ? "blocked" as const : "would_block" as const
            }))
          }
        })
      })
    })
  )
}
