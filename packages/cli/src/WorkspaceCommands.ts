import { Accounts } from "@releasepassport/app"
import { Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { databaseFlag, useCasesFor } from "./common.ts"
import { explainFailures } from "./DomainMessages.ts"

const create = Command.make(
  "create",
  {
    database: databaseFlag,
    slug: Flag.String("slug").pipe(Flag.withDescription("Short name used in URLs and flags: a-z, 0-9, -")),
    name: Flag.String("name").pipe(Flag.withDescription("Display name"))
  },
  Effect.fn(function*(flags) {
    return yield* Effect.gen(function*() {
      const workspace = yield* (yield* Accounts).createWorkspace({ slug: flags.slug, name: flags.name })
      yield* Console.log(`created workspace ${workspace.slug} (${workspace.id})`)
    }).pipe(explainFailures, Effect.provide(useCasesFor(flags.database)))
  })
).pipe(Command.withDescription("Create a workspace"))

const list = Command.make(
  "list",
  { database: databaseFlag },
  Effect.fn(function*(flags) {
    return yield* Effect.gen(function*() {
      for (const workspace of yield* (yield* Accounts).workspaces) {
        yield* Console.log(`${workspace.slug}  ${workspace.id}  ${workspace.name}`)
      }
    }).pipe(explainFailures, Effect.provide(useCasesFor(flags.database)))
  })
).pipe(Command.withDescription("List workspaces"))

export const workspaceCommand = Command.make("workspace").pipe(
  Command.withDescription("Manage workspaces (a `default` one exists after migrate)"),
  Command.withSubcommands([create, list])
)
