import { Context, Schema } from "effect"
import type { Effect } from "effect"
import type { StoreUnavailable } from "../errors.ts"

export interface Workspace {
  readonly id: string
  readonly slug: string
  readonly name: string
  readonly createdAt: string
}

export class WorkspaceSlugTaken extends Schema.TaggedError<WorkspaceSlugTaken>()("WorkspaceSlugTaken", {
  slug: Schema.String
}) {}

export class WorkspaceStore extends Context.Service<WorkspaceStore, {
  readonly create: (input: {
    readonly slug: string
    readonly name: string
    readonly now: Date
  }) => Effect.Effect<Workspace, WorkspaceSlugTaken | StoreUnavailable>
  readonly findBySlug: (slug: string) => Effect.Effect<Workspace | undefined, StoreUnavailable>
  readonly findById: (id: string) => Effect.Effect<Workspace | undefined, StoreUnavailable>
  readonly list: Effect.Effect<ReadonlyArray<Workspace>, StoreUnavailable>
}>()("@releasepassport/core/ports/WorkspaceStore") {}
