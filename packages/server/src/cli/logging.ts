import { Layer, Logger } from "effect"

/**
 * Logs go to stderr, so stdout carries only what a command prints on purpose (a token, a
 * verdict) and stays safe to capture in a pipeline. Format: logfmt, or JSON lines with
 * RELEASEPASSPORT_LOG_FORMAT=json (for log shippers).
 */
export const loggingLayer = () =>
  Logger.layer([
    Logger.withConsoleError(process.env["RELEASEPASSPORT_LOG_FORMAT"] === "json" ? Logger.formatJson : Logger.formatLogFmt)
  ])
