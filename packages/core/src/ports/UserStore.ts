import { Context, Schema } from "effect"
import type { Effect } from "effect"
import type { StoreUnavailable } from "../errors.ts"
import type { Role } from "../Role.ts"
import type { Workspace } from "./WorkspaceStore.ts"

/** A person who signs in to the console. Never carries the password hash. */
export interface User {
  readonly id: string
  /** Normalized (see `normalizeEmail`). */
  readonly email: string
  readonly displayName: string
  readonly createdAt: string
  readonly updatedAt: string
}

/** A user's role in one workspace. */
export interface Membership {
  readonly workspace: Workspace
  readonly role: Role
}

export class UserEmailTaken extends Schema.TaggedError<UserEmailTaken>()("UserEmailTaken", {
  email: Schema.String
}) {}

export class UserStore extends Context.Service<UserStore, {
  /** Creates a user and their first membership together: both or neither. */
  readonly create: (input: {
    /** Already normalized. */
    readonly email: string
    readonly displayName: string
    /** A self-describing password hash string (algorithm, parameters, salt, hash). */
    readonly passwordHash: string
    readonly membership: { readonly workspaceId: string; readonly role: Role }
    readonly now: Date
  }) => Effect.Effect<User, UserEmailTaken | StoreUnavailable>
  readonly findById: (id: string) => Effect.Effect<User | undefined, StoreUnavailable>
  readonly findByEmail: (email: string) => Effect.Effect<User | undefined, StoreUnavailable>
  /**
   * The user and their password hash, for signing in only. Kept apart from `findByEmail`
   * so that nothing that renders a `User` ever holds a hash.
   */
  readonly findCredentials: (
    email: string
  ) => Effect.Effect<{ readonly user: User; readonly passwordHash: string } | undefined, StoreUnavailable>
  readonly setPasswordHash: (input: {
    readonly userId: string
    readonly passwordHash: string
    readonly now: Date
  }) => Effect.Effect<void, StoreUnavailable>
  /** Adds the user to a workspace, or changes their role there. */
  readonly setMembership: (input: {
    readonly userId: string
    readonly workspaceId: string
    readonly role: Role
    readonly now: Date
  }) => Effect.Effect<"added" | "changed" | "unchanged", StoreUnavailable>
  /** Removes the user from a workspace; false when they were not a member. */
  readonly removeMembership: (input: {
    readonly userId: string
    readonly workspaceId: string
  }) => Effect.Effect<boolean, StoreUnavailable>
  /** Every workspace the user belongs to, by slug. */
  readonly memberships: (userId: string) => Effect.Effect<ReadonlyArray<Membership>, StoreUnavailable>
  /** A workspace's members, by email. */
  readonly members: (
    workspaceId: string
  ) => Effect.Effect<ReadonlyArray<{ readonly user: User; readonly role: Role }>, StoreUnavailable>
}>()("@releasepassport/core/ports/UserStore") {}
