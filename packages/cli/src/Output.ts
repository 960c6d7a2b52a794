import { Console, Layer } from "effect"
import { CliOutput } from "effect/cli"
import type { CliError } from "effect/cli"

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
    formatError: (error) => `releasepassport: ${messageOf(error)}`,
    formatErrors: (errors) => errors.map((error) => `releasepassport: ${messageOf(error)}`).join("\n")
  }
  const presenter: CliOutput.Presenter = {
    present: (event) => {
      if (event._tag !== "InvalidInvocation") return CliOutput.defaultPresenter.present(event)
      const command = event.commandPath.join(" ")
      const first = event.errors[0]
      return Console.error(
        `${command}: ${first === undefined ? "invalid usage" : messageOf(first)}\n` +
          `Run '${command} --help' for usage.`
      )
    }
  }
  return Layer.mergeAll(CliOutput.layer(formatter), CliOutput.layerPresenter(presenter))
})()
