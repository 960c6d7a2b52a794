import { isPlausibleEmail, normalizeEmail, SessionStore, UserStore, WorkspaceStore } from "@releasepassport/core"
import type { Role, StoreUnavailable, User, UserEmailTaken, Workspace, WorkspaceSlugTaken } from "@releasepassport/core"
import { Clock, Context, Effect, Layer, Redacted } from "effect"
import { InvalidAccount, NotAMember, UserNotFound, WorkspaceNotFound } from "../errors.ts"
import type { SecretInIdentifier } from "../errors.ts"
import { admit } from "../StorageText.ts"
import { hashPassword, passwordProblem } from "./PasswordHash.ts"

const MAX_NAME = 200
/** Workspace slugs appear in URLs and flags. */
const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/

/**
 * Workspaces, users and their roles: the administration behind `releasepassport workspace|user`
 * (and any console page that grows it). Sign-in and sessions are `ConsoleSessions`.
 */
export class Accounts extends Context.Service<Accounts, {
  readonly createWorkspace: (input: { readonly slug: string; readonly name: string }) => Effect.Effect<
    Workspace,
    InvalidAccount | SecretInIdentifier | WorkspaceSlugTaken | StoreUnavailable
  >
  readonly workspaces: Effect.Effect<ReadonlyArray<Workspace>, StoreUnavailable>
  readonly workspace: (slug: string) => Effect.Effect<Workspace, WorkspaceNotFound | StoreUnavailable>
  readonly createUser: (input: {
    readonly email: string
    /** Default: the part of the email before @. */
    readonly displayName: string | undefined
    readonly password: Redacted.Redacted<string>
    readonly workspace: string
    readonly role: Role
  }) => Effect.Effect<
    { readonly user: User; readonly workspace: Workspace },
    InvalidAccount | SecretInIdentifier | UserEmailTaken | WorkspaceNotFound | StoreUnavailable
  >
  readonly setRole: (input: { readonly email: string; readonly workspace: string; readonly role: Role }) => Effect.Effect<
    { readonly user: User; readonly workspace: Workspace; readonly outcome: "added" | "changed" | "unchanged" },
    InvalidAccount | UserNotFound | WorkspaceNotFound | StoreUnavailable
  >
  readonly removeFromWorkspace: (input: { readonly email: string; readonly workspace: string }) => Effect.Effect<
    { readonly user: User; readonly workspace: Workspace },
    InvalidAccount | UserNotFound | WorkspaceNotFound | NotAMember | StoreUnavailable
  >
  /** Signs a user out everywhere; how many sessions ended. */
  readonly endSessions: (email: string) => Effect.Effect<
    { readonly user: User; readonly ended: number },
    InvalidAccount | UserNotFound | StoreUnavailable
  >
  readonly members: (workspace: string) => Effect.Effect<
    { readonly workspace: Workspace; readonly members: ReadonlyArray<{ readonly user: User; readonly role: Role }> },
    WorkspaceNotFound | StoreUnavailable
  >
}>()("@releasepassport/app/Accounts") {
  static readonly layer = Layer.effect(
    Accounts,
    Effect.gen(function*() {
      const workspaces = yield* WorkspaceStore
      const users = yield* UserStore
      const sessions = yield* SessionStore
      const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms))

      const workspace = (slug: string) =>
        Effect.flatMap(workspaces.findBySlug(slug), (found) =>
          found === undefined ? Effect.fail(new WorkspaceNotFound({ slug })) : Effect.succeed(found))
      const email = (raw: string) => {
        const normalized = normalizeEmail(raw)
        return isPlausibleEmail(normalized)
          ? Effect.succeed(normalized)
          : Effect.fail(new InvalidAccount({ field: "email", message: `does not look like an email address: "${raw}"` }))
      }
      const user = (raw: string) =>
        Effect.gen(function*() {
          const address = yield* email(raw)
          const found = yield* users.findByEmail(address)
          if (found === undefined) return yield* new UserNotFound({ email: address })
          return found
        })

      return Accounts.of({
        createWorkspace: Effect.fn("Accounts.createWorkspace")(function*(input) {
          if (!SLUG.test(input.slug)) return yield* new InvalidAccount({ field: "slug", message: `must match ${SLUG.source}` })
          // Slug and name are identifiers (StorageText.ts): shown to every member, never rewritten.
          yield* admit({ slug: input.slug, name: input.name })
          const name = input.name.trim()
          if (name === "" || name.length > MAX_NAME) {
            return yield* new InvalidAccount({ field: "name", message: `must be 1 to ${MAX_NAME} characters` })
          }
          return yield* workspaces.create({ slug: input.slug, name, now: yield* now })
        }),
        workspaces: workspaces.list,
        workspace,
        createUser: Effect.fn("Accounts.createUser")(function*(input) {
          const address = yield* email(input.email)
          const name = (input.displayName ?? address.split("@")[0]!).trim()
          // The password is a credential: hashed below, never admitted as text.
          yield* admit({ email: address, displayName: name })
          if (name === "" || name.length > MAX_NAME) {
            return yield* new InvalidAccount({ field: "name", message: `must be 1 to ${MAX_NAME} characters` })
          }
          const problem = passwordProblem(Redacted.value(input.password))
          if (problem !== undefined) return yield* new InvalidAccount({ field: "password", message: problem })
          const target = yield* workspace(input.workspace)
          const passwordHash = yield* Effect.promise(() => hashPassword(Redacted.value(input.password)))
          const created = yield* users.create({
            email: address,
            displayName: name,
            passwordHash,
            membership: { workspaceId: target.id, role: input.role },
            now: yield* now
          })
          return { user: created, workspace: target }
        }),
        setRole: Effect.fn("Accounts.setRole")(function*(input) {
          const member = yield* user(input.email)
          const target = yield* workspace(input.workspace)
          const outcome = yield* users.setMembership({ userId: member.id, workspaceId: target.id, role: input.role, now: yield* now })
          return { user: member, workspace: target, outcome }
        }),
        removeFromWorkspace: Effect.fn("Accounts.removeFromWorkspace")(function*(input) {
          const member = yield* user(input.email)
          const target = yield* workspace(input.workspace)
          const removed = yield* users.removeMembership({ userId: member.id, workspaceId: target.id })
          if (!removed) return yield* new NotAMember({ email: member.email, slug: target.slug })
          return { user: member, workspace: target }
        }),
        endSessions: Effect.fn("Accounts.endSessions")(function*(address) {
          const member = yield* user(address)
          const ended = yield* sessions.revokeAllForUser({ userId: member.id, now: yield* now })
          return { user: member, ended }
        }),
        members: Effect.fn("Accounts.members")(function*(slug) {
          const target = yield* workspace(slug)
          return { workspace: target, members: yield* users.members(target.id) }
        })
      })
    })
  )
}
