import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeServices from "@effect/platform-node/NodeServices"
import { Effect, Exit } from "effect"
import { Command } from "effect/cli"
import { evidenceCommand } from "./EvidenceCommands.ts"
import { gateCommand } from "./GateCommands.ts"
import { licenseCommand } from "./LicenseCommands.ts"
import { loggingLayer } from "./logging.ts"
import { backupCommand } from "./BackupCommand.ts"
import { outputLayer } from "./Output.ts"
import { migrateCommand } from "./MigrateCommand.ts"
import { policyCommand } from "./PolicyCommands.ts"
import { reportCommand } from "./ReportCommands.ts"
import { serveCommand } from "./ServeCommand.ts"
import { tokenCommand } from "./TokenCommands.ts"
import { userCommand } from "./UserCommands.ts"
import { workspaceCommand } from "./WorkspaceCommands.ts"

export const VERSION = "0.1.0"

export const releasepassport = Command.make("releasepassport").pipe(
  Command.withDescription("Release Passport: a self-hosted release gate with a passport per release"),
  Command.withSubcommands([serveCommand, migrateCommand, backupCommand, workspaceCommand, tokenCommand, userCommand, gateCommand, evidenceCommand, policyCommand, licenseCommand, reportCommand])
)

/** Runs the CLI as the process's main program. */
export const main = () =>
  releasepassport.pipe(
    Command.run({ version: VERSION }),
    Effect.provide(outputLayer),
    Effect.provide(NodeServices.layer),
    Effect.provide(loggingLayer()),
    NodeRuntime.runMain({
      // Success keeps the code a command chose (gate evaluate: 0/1/2). SIGTERM/SIGINT on a
      // server is a normal stop (0). Any other failure is 2, "error" for pipelines.
      teardown: (exit, onExit) =>
        onExit(
          Exit.isSuccess(exit)
            ? Number(process.exitCode ?? 0)
            : Exit.hasInterrupts(exit) && !Exit.hasFails(exit) && !Exit.hasDies(exit)
            ? 0
            : 2
        )
    })
  )
