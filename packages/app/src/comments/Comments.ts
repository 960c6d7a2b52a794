import { CommentStore, PassportStore } from "@releasepassport/core"
import type { StoreUnavailable } from "@releasepassport/core"
import { Clock, Context, Effect, Layer } from "effect"
import { CommentNotFound, CommentNotYours, PassportNotFound } from "../errors.ts"
import type { SecretInIdentifier } from "../errors.ts"
import { admit } from "../StorageText.ts"
import type { Reader } from "../passports/Passports.ts"
import { viewer } from "../passports/Passports.ts"
import type { CommentView } from "../passports/PassportSchemas.ts"
import { commentView } from "../passports/PassportViews.ts"

/** A passport's comment thread: members add, authors (and admins) delete. */
export class Comments extends Context.Service<Comments, {
  readonly add: (
    reader: Reader,
    input: { readonly passportId: string; readonly body: string }
  ) => Effect.Effect<CommentView, PassportNotFound | SecretInIdentifier | StoreUnavailable>
  readonly remove: (
    reader: Reader,
    input: { readonly passportId: string; readonly commentId: string }
  ) => Effect.Effect<void, CommentNotFound | CommentNotYours | StoreUnavailable>
}>()("@releasepassport/app/Comments") {
  static readonly layer = Layer.effect(
    Comments,
    Effect.gen(function*() {
      const passports = yield* PassportStore
      const comments = yield* CommentStore
      return Comments.of({
        add: Effect.fn("Comments.add")(function*(reader, input) {
          const workspaceId = reader.membership.workspace.id
          const passport = yield* passports.find({ workspaceId, id: input.passportId })
          if (passport === undefined) return yield* new PassportNotFound()
          // Comments are free text, sanitized like evidence: people paste logs.
          const { body } = (yield* admit({ body: input.body }, { body: "text" })).value
          const now = yield* Clock.currentTimeMillis
          const comment = yield* comments.add({
            workspaceId,
            passportId: passport.id,
            authorId: reader.userId,
            body,
            now: new Date(now)
          })
          return commentView(comment, viewer(reader))
        }),
        remove: Effect.fn("Comments.remove")(function*(reader, input) {
          const workspaceId = reader.membership.workspace.id
          const who = viewer(reader)
          const comment = yield* comments.find({ workspaceId, passportId: input.passportId, id: input.commentId })
          if (comment === undefined) return yield* new CommentNotFound()
          if (!who.isAdmin && comment.author.id !== who.userId) return yield* new CommentNotYours()
          const now = yield* Clock.currentTimeMillis
          yield* comments.remove({ workspaceId, passportId: input.passportId, id: input.commentId, now: new Date(now) })
        })
      })
    })
  )
}
