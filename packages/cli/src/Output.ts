import { Console, Layer } from "effect"
import { CliOutput } from "effect/cli"
import type { CliError } from "effect/cli"
import { jsonLine, logFormat } from "./logging.ts"

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ").trim()

const messageOf = (error: CliError.CliError): string =>
  oneLine("userMessage" in error && typeof error.userMessage === "string" ? error.userMessage : error.message)

/**
 * How the command talks when something is wrong. A pipeline log should show what failed in
 * one line on stderr, not a page of help on stdout that buries it: a usage error is the
 * first problem and a hint where the rest is; a command's own failure is one line.
 */
export const outputLayer = (() => {
  const base = CliOutput.defaultFormatter({ colors: false })
  const formatter: CliOutput.Formatter = {
    ...base,
    // With JSON logs chosen, a fatal error is a JSON line too: a log shipper must not drop the one line that matters.
    formatError: (error) =>
      logFormat() === "json" ? jsonLine("fatal", messageOf(error)) : `releasepassport: ${messageOf(error)}`,
    formatErrors: (errors) =>
      errors.map((error) => logFormat() === "json" ? jsonLine("error", messageOf(error)) : `releasepassport: ${messageOf(error)}`).join("\n")
  }
  const presenter: CliOutput.Presenter = {
    present: (event) => {
      if (event._tag !== "InvalidInvocation") return CliOutput.defaultPresenter.present(event)
      const command = event.commandPath.join(" ")
      const first = event.errors[0]
      const problem = first === undefined ? "invalid usage" : messageOf(first)
      const hint = `Run '${command} --help' for usage.`
      return Console.error(
        logFormat() === "json" ? jsonLine("error", `${command}: ${problem}`, { hint }) : `${command}: ${problem}\n${hint}`
      )
    }
  }
  return Layer.mergeAll(CliOutput.layer(formatter), CliOutput.layerPresenter(presenter))
})()
