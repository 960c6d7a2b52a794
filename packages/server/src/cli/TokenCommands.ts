import { TokenScopes, TokenStore, WorkspaceStore } from "@releasepassport/core"
import type { TokenScope } from "@releasepassport/core"
import { Clock, Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { apiTokenDigest, generateApiToken } from "../auth/ApiTokenFormat.ts"
import { databaseFlag, fail, parseDuration, storesFor } from "./common.ts"

const MAX_LIFETIME_MS = 366 * 86_400_000

const workspaceFlag = Flag.String("workspace").pipe(
  Flag.withDescription("Workspace slug"),
  Flag.withDefault("default")
)

const findWorkspace = (slug: string) =>
  Effect.gen(function*() {
    const workspaces = yield* WorkspaceStore
    const workspace = yield* workspaces.findBySlug(slug)
    if (workspace === undefined) return yield* fail(`no workspace "${slug}" (create it with: releasepassport workspace create --slug ${slug} --name ...)`)
    return workspace
  })

const create = Command.make(
  "create",
  {
    database: databaseFlag,
    workspace: workspaceFlag,
    scope: Flag.Literals("scope", TokenScopes).pipe(
      Flag.withDescription("A scope the token holds; repeat for several (gate:evaluate, evidence:ingest, license:read)"),
      Flag.atLeast(1)
    ),
    expiresIn: Flag.String("expires-in").pipe(
      Flag.withDescription("Lifetime, e.g. 90d, 12h, 2w (at most 366d)"),
      Flag.withDefault("90d")
    ),
    name: Flag.String("name").pipe(Flag.withDescription("What the token is for, e.g. ci"), Flag.withDefault("token"))
  },
  Effect.fn(function*(flags) {
    const lifetime = parseDuration(flags.expiresIn)
    if (lifetime === undefined || lifetime <= 0 || lifetime > MAX_LIFETIME_MS) {
      return yield* fail(`--expires-in must look like 90d, 12h, 30m or 2w and be at most 366d (got "${flags.expiresIn}")`)
    }
    return yield* Effect.gen(function*() {
      const workspace = yield* findWorkspace(flags.workspace)
      const tokens = yield* TokenStore
      const value = generateApiToken()
      const now = yield* Clock.currentTimeMillis
      const token = yield* tokens.create({
        workspaceId: workspace.id,
        name: flags.name,
        scopes: [...new Set(flags.scope)] as Array<TokenScope>,
        digest: apiTokenDigest(value),
        now: new Date(now),
        expiresAt: new Date(now + lifetime)
      })
      // The value is shown once, alone on stdout so `$(releasepassport token create ...)` captures it.
      yield* Console.log(value)
      yield* Console.error(`created ${token.id} in workspace ${workspace.slug}: scopes ${token.scopes.join(",")}, expires ${token.expiresAt}`)
    }).pipe(Effect.provide(storesFor(flags.database)))
  })
).pipe(
  Command.withDescription("Create an API token. Prints only the token on stdout; it is not shown again."),
  Command.withExamples([{
    command: "releasepassport token create --workspace default --scope gate:evaluate --scope evidence:ingest --name ci",
    description: "A CI token that can ask for verdicts and attach evidence"
  }])
)

const list = Command.make(
  "list",
  {
    database: databaseFlag,
    workspace: workspaceFlag,
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print JSON"), Flag.withDefault(false))
  },
  Effect.fn(function*(flags) {
    return yield* Effect.gen(function*() {
      const workspace = yield* findWorkspace(flags.workspace)
      const tokens = yield* (yield* TokenStore).list(workspace.id)
      if (flags.json) return yield* Console.log(JSON.stringify(tokens, null, 2))
      if (tokens.length === 0) return yield* Console.log(`no tokens in workspace ${workspace.slug}`)
      const now = yield* Clock.currentTimeMillis
      for (const token of tokens) {
        const state = token.revokedAt !== null
          ? "revoked"
          : Date.parse(token.expiresAt) <= now
          ? "expired"
          : "active"
        yield* Console.log(
          `${token.id}  ${state.padEnd(7)}  ${token.name}  scopes=${token.scopes.join(",")}  expires=${token.expiresAt}  last-used=${token.lastUsedAt ?? "never"}`
        )
      }
    }).pipe(Effect.provide(storesFor(flags.database)))
  })
).pipe(Command.withDescription("List a workspace's tokens (never their values)."))

const revoke = Command.make(
  "revoke",
  {
    database: databaseFlag,
    workspace: workspaceFlag,
    id: Argument.String("id").pipe(Argument.withDescription("Token id (tok_...)"))
  },
  Effect.fn(function*(flags) {
    return yield* Effect.gen(function*() {
      const workspace = yield* findWorkspace(flags.workspace)
      const now = yield* Clock.currentTimeMillis
      const revoked = yield* (yield* TokenStore).revoke({ workspaceId: workspace.id, id: flags.id, now: new Date(now) })
      if (!revoked) return yield* fail(`no active token ${flags.id} in workspace ${workspace.slug}`)
      yield* Console.log(`revoked ${flags.id}`)
    }).pipe(Effect.provide(storesFor(flags.database)))
  })
).pipe(Command.withDescription("Revoke a token: it stops working at once."))

export const tokenCommand = Command.make("token").pipe(
  Command.withDescription("Manage API tokens for pipelines"),
  Command.withSubcommands([create, list, revoke])
)
