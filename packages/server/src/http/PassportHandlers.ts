import { CommentStore, PassportStore, roleAtLeast, sanitizeText } from "@releasepassport/core"
import { Clock, Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../api/Api.ts"
import { Forbidden, InvalidRequest, NotFound, ProblemCodes } from "../api/Problems.ts"
import { CurrentMembership, CurrentSession } from "../api/SessionSecurity.ts"
import { unavailable } from "../auth/BearerTokenLive.ts"
import { commentView, decodeCursor, detailView, encodeCursor, listItemView } from "../passports/PassportViews.ts"

const DEFAULT_PAGE = 50
const LIMITS = { evaluations: 200, evidence: 500 }

// Another workspace's passport answers exactly like one that does not exist.
const passportNotFound = () =>
  new NotFound({ code: "passport.not_found", detail: "No such passport in this workspace." })

/** Who is asking, for what they may see and delete. */
const viewer = Effect.gen(function*() {
  const { user } = yield* CurrentSession
  const { role } = yield* CurrentMembership
  return { userId: user.id, isAdmin: roleAtLeast(role, "admin") }
})

export const PassportHandlers = HttpApiBuilder.group(
  Api,
  "passports",
  Effect.fn(function*(handlers) {
    const passports = yield* PassportStore
    const comments = yield* CommentStore
    return handlers
      .handle("list", ({ query }) =>
        Effect.gen(function*() {
          const { workspace } = yield* CurrentMembership
          const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor)
          if (query.cursor !== undefined && after === undefined) {
            return yield* new InvalidRequest({
              code: "request.invalid_cursor",
              detail: "The cursor was not made by this server; start from the first page.",
              errors: [{ path: ["query", "cursor"], message: "is not a valid cursor" }]
            })
          }
          const page = yield* passports.list({
            workspaceId: workspace.id,
            limit: query.limit ?? DEFAULT_PAGE,
            ...(query.service !== undefined ? { service: query.service } : {}),
            ...(query.namespace !== undefined ? { namespace: query.namespace } : {}),
            ...(query.environment !== undefined ? { environment: query.environment } : {}),
            ...(query.verdict !== undefined ? { verdict: query.verdict } : {}),
            ...(query.mode !== undefined ? { mode: query.mode } : {}),
            ...(query.since !== undefined ? { since: new Date(query.since).toISOString() } : {}),
            ...(after !== undefined ? { after } : {})
          }).pipe(Effect.mapError(unavailable))
          return {
            items: page.items.map(listItemView),
            nextCursor: page.next === undefined ? null : encodeCursor(page.next)
          }
        }))
      .handle("get", ({ params }) =>
        Effect.gen(function*() {
          const { workspace } = yield* CurrentMembership
          const detail = yield* passports.findDetail({ workspaceId: workspace.id, id: params.id, limits: LIMITS }).pipe(
            Effect.mapError(unavailable)
          )
          if (detail === undefined) return yield* passportNotFound()
          const thread = yield* comments.list({ workspaceId: workspace.id, passportId: params.id }).pipe(
            Effect.mapError(unavailable)
          )
          return detailView(detail, thread, yield* viewer)
        }))
      .handle("comment", ({ params, payload }) =>
        Effect.gen(function*() {
          const { workspace } = yield* CurrentMembership
          const { user } = yield* CurrentSession
          const passport = yield* passports.find({ workspaceId: workspace.id, id: params.id }).pipe(Effect.mapError(unavailable))
          if (passport === undefined) return yield* passportNotFound()
          const now = yield* Clock.currentTimeMillis
          const comment = yield* comments.add({
            workspaceId: workspace.id,
            passportId: passport.id,
            authorId: user.id,
            // Comments are sanitized like evidence: people paste logs.
            body: sanitizeText(payload.body).text,
            now: new Date(now)
          }).pipe(Effect.mapError(unavailable))
          return commentView(comment, yield* viewer)
        }))
      .handle("deleteComment", ({ params }) =>
        Effect.gen(function*() {
          const { workspace } = yield* CurrentMembership
          const who = yield* viewer
          const comment = yield* comments.find({ workspaceId: workspace.id, passportId: params.id, id: params.commentId }).pipe(
            Effect.mapError(unavailable)
          )
          if (comment === undefined) {
            return yield* new NotFound({ code: "comment.not_found", detail: "No such comment on this passport." })
          }
          if (!who.isAdmin && comment.author.id !== who.userId) {
            return yield* new Forbidden({
              code: ProblemCodes.roleInsufficient,
              detail: "Only the author, or an admin, may delete a comment."
            })
          }
          const now = yield* Clock.currentTimeMillis
          yield* comments.remove({ workspaceId: workspace.id, passportId: params.id, id: params.commentId, now: new Date(now) })
            .pipe(Effect.mapError(unavailable))
        }))
  })
)
