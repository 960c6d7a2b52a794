import { Accounts, generatePassword, passwordProblem } from "@releasepassport/app"
import { Roles } from "@releasepassport/core"
import { Console, Effect, Redacted } from "effect"
import { Command, Flag } from "effect/cli"
import { text } from "node:stream/consumers"
import { databaseFlag, fail, useCasesFor } from "./common.ts"
import { explainFailures } from "./DomainMessages.ts"

const emailFlag = Flag.String("email").pipe(Flag.withDescription("The user's email (case does not matter)"))
const workspaceFlag = Flag.String("workspace").pipe(Flag.withDescription("Workspace slug"))
const roleFlag = Flag.Literals("role", Roles).pipe(
  Flag.withDescription("owner | admin | member | viewer (each may do all that the next may)")
)

/**
 * The new user's password: generated (and printed once) with --generate-password or when
 * nobody is piping one in; else read from stdin, so it never shows up in a process list or
 * shell history. One trailing newline is dropped (`echo` adds it).
 */
const newPassword = (generate: boolean) =>
  Effect.gen(function*() {
    if (generate || process.stdin.isTTY === true) return { password: generatePassword(), generated: true }
    const input = yield* Effect.promise(() => text(process.stdin))
    const password = input.replace(/\r?\n$/, "")
    if (password === "") return yield* fail("no password on stdin: pipe one in, or pass --generate-password")
    const problem = passwordProblem(password)
    if (problem !== undefined) return yield* fail(problem)
    return { password, generated: false }
  })

const create = Command.make(
  "create",
  {
    database: databaseFlag,
    email: emailFlag,
    workspace: workspaceFlag,
    role: roleFlag,
    name: Flag.String("name").pipe(Flag.withDescription("Display name (default: the part of the email before @)"), Flag.optional),
    generatePassword: Flag.Boolean("generate-password").pipe(
      Flag.withDescription("Generate a strong password and print it once, instead of reading one from stdin"),
      Flag.withDefault(false)
    )
  },
  Effect.fn(function*(flags) {
    const { password, generated } = yield* newPassword(flags.generatePassword)
    return yield* Effect.gen(function*() {
      const { user, workspace } = yield* (yield* Accounts).createUser({
        email: flags.email,
        displayName: flags.name._tag === "Some" ? flags.name.value : undefined,
        password: Redacted.make(password),
        workspace: flags.workspace,
        role: flags.role
      })
      // Shown once, alone on stdout, so that `$(releasepassport user create ...)` captures it.
      if (generated) yield* Console.log(password)
      yield* Console.error(`created user ${user.email} (${user.id}) as ${flags.role} in workspace ${workspace.slug}`)
    }).pipe(explainFailures, Effect.provide(useCasesFor(flags.database)))
  })
).pipe(
  Command.withDescription(
    "Create a console user with a role in one workspace. Reads the password from stdin (at least 12 characters), " +
      "or generates one and prints it once."
  ),
  Command.withExamples([
    {
      command: "releasepassport user create --email ada@example.com --workspace default --role owner --generate-password",
      description: "The first owner, with a generated password"
    },
    {
      command: "printf '%s' \"$PASSWORD\" | releasepassport user create --email bo@example.com --workspace default --role viewer",
      description: "A viewer whose password comes from a secret store"
    }
  ])
)

const add = Command.make(
  "add",
  { database: databaseFlag, email: emailFlag, workspace: workspaceFlag, role: roleFlag },
  Effect.fn(function*(flags) {
    return yield* Effect.gen(function*() {
      const { user, workspace, outcome } = yield* (yield* Accounts).setRole({
        email: flags.email,
        workspace: flags.workspace,
        role: flags.role
      })
      const verb = outcome === "added" ? "added" : outcome === "changed" ? "changed the role of" : "kept"
      yield* Console.log(`${verb} ${user.email} as ${flags.role} in workspace ${workspace.slug}`)
    }).pipe(explainFailures, Effect.provide(useCasesFor(flags.database)))
  })
).pipe(Command.withDescription("Add a user to a workspace, or change their role there. Applies to their next request."))

const remove = Command.make(
  "remove",
  { database: databaseFlag, email: emailFlag, workspace: workspaceFlag },
  Effect.fn(function*(flags) {
    return yield* Effect.gen(function*() {
      const { user, workspace } = yield* (yield* Accounts).removeFromWorkspace({ email: flags.email, workspace: flags.workspace })
      yield* Console.log(`removed ${user.email} from workspace ${workspace.slug}`)
    }).pipe(explainFailures, Effect.provide(useCasesFor(flags.database)))
  })
).pipe(Command.withDescription("Remove a user from a workspace. Applies to their next request."))

const revokeSessions = Command.make(
  "revoke-sessions",
  { database: databaseFlag, email: emailFlag },
  Effect.fn(function*(flags) {
    return yield* Effect.gen(function*() {
      const { user, ended } = yield* (yield* Accounts).endSessions(flags.email)
      yield* Console.log(`ended ${ended} session${ended === 1 ? "" : "s"} of ${user.email}`)
    }).pipe(explainFailures, Effect.provide(useCasesFor(flags.database)))
  })
).pipe(Command.withDescription("Sign a user out everywhere: every session of theirs stops working at once."))

const list = Command.make(
  "list",
  { database: databaseFlag, workspace: workspaceFlag },
  Effect.fn(function*(flags) {
    return yield* Effect.gen(function*() {
      const { workspace, members } = yield* (yield* Accounts).members(flags.workspace)
      if (members.length === 0) return yield* Console.log(`no users in workspace ${workspace.slug}`)
      for (const { user, role } of members) {
        yield* Console.log(`${user.email}  ${role.padEnd(6)}  ${user.displayName}  ${user.id}`)
      }
    }).pipe(explainFailures, Effect.provide(useCasesFor(flags.database)))
  })
).pipe(Command.withDescription("List a workspace's users and their roles."))

export const userCommand = Command.make("user").pipe(
  Command.withDescription("Manage console users and their workspace roles"),
  Command.withSubcommands([create, add, remove, list, revokeSessions])
)
