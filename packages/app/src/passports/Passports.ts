import { CommentStore, PassportStore, roleAtLeast } from "@releasepassport/core"
import type { GateMode, Membership, StoreUnavailable, VerdictKind } from "@releasepassport/core"
import { Clock, Context, Effect, Layer } from "effect"
import { InvalidCursor, PassportNotFound } from "../errors.ts"
import type { PassportDetailView, PassportPage } from "./PassportSchemas.ts"
import { decodeCursor, detailView, encodeCursor, listItemView } from "./PassportViews.ts"

const DEFAULT_PAGE = 50
const DETAIL_LIMITS = { evaluations: 200, evidence: 500 }

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
}>()("@releasepassport/app/Passports") {
  static readonly layer = Layer.effect(
    Passports,
    Effect.gen(function*() {
      const passports = yield* PassportStore
      const comments = yield* CommentStore
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
          return detailView(detail, thread, viewer(reader))
        })
      })
    })
  )
}
