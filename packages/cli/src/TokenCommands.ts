import { Accounts, MAX_TOKEN_LIFETIME_MS, Tokens } from "@releasepassport/app"
import { TokenScopes } from "@releasepassport/core"
import type { TokenScope } from "@releasepassport/core"
import { Console, Effect, Redacted } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { databaseFlag, fail, parseDuration, useCasesFor } from "./common.ts"
import { explainFailures } from "./DomainMessages.ts"

const workspaceFlag = Flag.String("workspace").pipe(
  Flag.withDescription("Workspace slug"),
  Flag.withDefault("default")
)

const create = Command.make(
  "create",
  {
    database: databaseFlag,
    workspace: workspaceFlag,
    scope: Flag.Literals("scope", TokenScopes).pipe(
      Flag.withDescription("A scope the token holds; repeat for several (gate:evaluate, evidence:ingest, license:read, policy:write, reports:read, metrics:read)"),
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
    if (lifetime === undefined || lifetime <= 0 || lifetime > MAX_TOKEN_LIFETIME_MS) {
      return yield* fail(`--expires-in must look like 90d, 12h, 30m or 2w and be at most 366d (got "${flags.expiresIn}")`)
    }
    return yield* Effect.gen(function*() {
      const workspace = yield* (yield* Accounts).workspace(flags.workspace)
      const { token, value } = yield* (yield* Tokens).create({
        workspaceId: workspace.id,
        name: flags.name,
        scopes: flags.scope as ReadonlyArray<TokenScope>,
        lifetimeMs: lifetime
      })
      // The value is shown once, alone on stdout so `$(releasepassport token create ...)` captures it.
      yield* Console.log(Redacted.value(value))
      yield* Console.error(`created ${token.id} in workspace ${workspace.slug}: scopes ${token.scopes.join(",")}, expires ${token.expiresAt}`)
    }).pipe(explainFailures, Effect.provide(useCasesFor(flags.database)))
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
      const workspace = yield* (yield* Accounts).workspace(flags.workspace)
      const tokens = yield* (yield* Tokens).list(workspace.id)
      if (flags.json) return yield* Console.log(JSON.stringify(tokens, null, 2))
      if (tokens.length === 0) return yield* Console.log(`no tokens in workspace ${workspace.slug}`)
      for (const token of tokens) {
        yield* Console.log(
          `${token.id}  ${token.state.padEnd(7)}  ${token.name}  scopes=${token.scopes.join(",")}  expires=${token.expiresAt}  last-used=${token.lastUsedAt ?? "never"}`
        )
      }
    }).pipe(explainFailures, Effect.provide(useCasesFor(flags.database)))
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
      const workspace = yield* (yield* Accounts).workspace(flags.workspace)
      yield* (yield* Tokens).revoke({ workspaceId: workspace.id, id: flags.id }).pipe(
        Effect.catchTag("TokenNotFound", () => fail(`no active token ${flags.id} in workspace ${workspace.slug}`))
      )
      yield* Console.log(`revoked ${flags.id}`)
    }).pipe(explainFailures, Effect.provide(useCasesFor(flags.database)))
  })
).pipe(Command.withDescription("Revoke a token: it stops working at once."))

export const tokenCommand = Command.make("token").pipe(
  Command.withDescription("Manage API tokens for pipelines"),
  Command.withSubcommands([create, list, revoke])
)
