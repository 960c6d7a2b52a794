import type {
  InvalidAccount,
  NotAMember,
  SecretInIdentifier,
  StoreUnavailable,
  TokenNotFound,
  UserEmailTaken,
  UserNotFound,
  WorkspaceNotFound,
  WorkspaceSlugTaken
} from "@releasepassport/app"
import { Effect } from "effect"
import { fail } from "./common.ts"

/**
 * The CLI's one table from a use case's failure to the line the user reads (and exit code 1
 * through `fail`): the counterpart of the HTTP API's `DomainProblems.ts`.
 */
const messages = {
  StoreUnavailable: (error: StoreUnavailable) => `the database is unavailable: ${error.message}`,
  WorkspaceNotFound: ({ slug }: WorkspaceNotFound) =>
    `no workspace "${slug}" (create it with: releasepassport workspace create --slug ${slug} --name ...; see: releasepassport workspace list)`,
  WorkspaceSlugTaken: ({ slug }: WorkspaceSlugTaken) => `workspace "${slug}" already exists`,
  UserNotFound: ({ email }: UserNotFound) => `no user ${email} (create one with: releasepassport user create)`,
  UserEmailTaken: ({ email }: UserEmailTaken) =>
    `user ${email} already exists (to give them a role in another workspace: releasepassport user add)`,
  NotAMember: ({ email, slug }: NotAMember) => `${email} is not a member of workspace ${slug}`,
  InvalidAccount: ({ field, message }: InvalidAccount) => (field === "password" ? message : `--${field} ${message}`),
  TokenNotFound: (_: TokenNotFound) => "no active token with that id in this workspace",
  SecretInIdentifier: ({ field }: SecretInIdentifier) =>
    `${field} looks like it holds a secret; names are stored and shown as given, so choose another`
} as const

type Failure = Parameters<(typeof messages)[keyof typeof messages]>[0]

type Tag = keyof typeof messages
const isDomainFailure = (error: unknown): error is Failure =>
  typeof error === "object" && error !== null && (error as { _tag?: unknown })._tag as string in messages

/** Turns every domain failure of `effect` into one clear line for the user; other failures pass through. */
export const explainFailures = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, Exclude<E, Failure> | Effect.Error<ReturnType<typeof fail>>, R> =>
  Effect.catch(
    effect,
    (error: E): Effect.Effect<never, Exclude<E, Failure> | Effect.Error<ReturnType<typeof fail>>> =>
      isDomainFailure(error)
        ? fail((messages[error._tag as Tag] as (e: Failure) => string)(error))
        : Effect.fail(error as Exclude<E, Failure>)
  )
