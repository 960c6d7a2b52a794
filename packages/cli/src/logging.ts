import { sanitizeText } from "@releasepassport/core"
import { Layer, Logger } from "effect"

/**
 * Logs go to stderr, so stdout carries only what a command prints on purpose (a token, a
 * verdict) and stays safe to capture in a pipeline. Format: logfmt, or JSON lines with
 * RELEASEPASSPORT_LOG_FORMAT=json (for log shippers). Every line passes through the same
 * sanitizer as evidence, as a last line of defence: an error message that quotes a URL with a
 * password or a token must not carry it into a log store.
 */
/** The log format chosen for this process (RELEASEPASSPORT_LOG_FORMAT). */
export const logFormat = (): "text" | "json" => (process.env["RELEASEPASSPORT_LOG_FORMAT"] === "json" ? "json" : "text")

export const loggingLayer = () =>
  Logger.layer([
    Logger.withConsoleError(
      Logger.map(
        process.env["RELEASEPASSPORT_LOG_FORMAT"] === "json" ? Logger.formatJson : Logger.formatLogFmt,
        (line) => sanitizeText(line).text
      )
    )
  ])
