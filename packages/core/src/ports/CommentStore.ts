import { Context } from "effect"
import type { Effect } from "effect"
import type { StoreUnavailable } from "../errors.ts"

export interface Comment {
  readonly id: string
  readonly passportId: string
  readonly body: string
  readonly author: { readonly id: string; readonly displayName: string }
  readonly createdAt: string
}

export class CommentStore extends Context.Service<CommentStore, {
  readonly add: (input: {
    readonly workspaceId: string
    readonly passportId: string
    readonly authorId: string
    /** Already sanitized. */
    readonly body: string
    readonly now: Date
  }) => Effect.Effect<Comment, StoreUnavailable>
  /** Oldest first (a conversation reads top-down). Deleted comments are not listed. */
  readonly list: (input: { readonly workspaceId: string; readonly passportId: string }) => Effect.Effect<
    ReadonlyArray<Comment>,
    StoreUnavailable
  >
  readonly find: (input: { readonly workspaceId: string; readonly passportId: string; readonly id: string }) => Effect.Effect<
    Comment | undefined,
    StoreUnavailable
  >
  /** Marks it deleted (kept for audit, never shown); false when there was none to delete. */
  readonly remove: (input: {
    readonly workspaceId: string
    readonly passportId: string
    readonly id: string
    readonly now: Date
  }) => Effect.Effect<boolean, StoreUnavailable>
}>()("@releasepassport/core/ports/CommentStore") {}
