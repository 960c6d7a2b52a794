import { WorkspaceStore } from "@releasepassport/core"
import { Clock, Console, Effect } from "effect"
import { Command, Flag } from "effect/cli"
import { databaseFlag, fail, storesFor } from "./common.ts"

const SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/

const create = Command.make(
  "create",
  {
    database: databaseFlag,
    slug: Flag.String("slug").pipe(Flag.withDescription("Short name used in URLs and flags: a-z, 0-9, -")),
    name: Flag.String("name").pipe(Flag.withDescription("Display name"))
  },
  Effect.fn(function*(flags) {
    if (!SLUG.test(flags.slug)) return yield* fail(`--slug must match ${SLUG.source}`)
    if (flags.name.trim() === "") return yield* fail("--name must not be empty")
    return yield* Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const workspace = yield* (yield* WorkspaceStore).create({ slug: flags.slug, name: flags.name.trim(), now: new Date(now) }).pipe(
        Effect.catchTag("WorkspaceSlugTaken", () => fail(`workspace "${flags.slug}" already exists`))
      )
      yield* Console.log(`created workspace ${workspace.slug} (${workspace.id})`)
    }).pipe(Effect.provide(storesFor(flags.database)))
  })
).pipe(Command.withDescription("Create a workspace"))

const list = Command.make(
  "list",
  { database: databaseFlag },
  Effect.fn(function*(flags) {
    return yield* Effect.gen(function*() {
      for (const workspace of yield* (yield* WorkspaceStore).list) {
        yield* Console.log(`${workspace.slug}  ${workspace.id}  ${workspace.name}`)
      }
    }).pipe(Effect.provide(storesFor(flags.database)))
  })
).pipe(Command.withDescription("List workspaces"))

export const workspaceCommand = Command.make("workspace").pipe(
  Command.withDescription("Manage workspaces (a `default` one exists after migrate)"),
  Command.withSubcommands([create, list])
)
