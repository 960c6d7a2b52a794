import { sanitizeText } from "@releasepassport/core"
import { Layer, Logger } from "effect"
import { createRequire } from "node:module"
import type { DestinationStream, Level, LoggerOptions } from "pino"
import type * as Pino from "pino"

/**
 * pino is loaded on first use, and synchronously (it is CommonJS): only JSON logs need it, and
 * loading it costs every command's start-up otherwise. `jsonLine` stays a plain function.
 */
let loaded: typeof Pino.pino | undefined
const pinoModule = (): typeof Pino.pino => (loaded ??= (createRequire(import.meta.url)("pino") as typeof Pino).pino)

/** The log format chosen for this process (RELEASEPASSPORT_LOG_FORMAT). */
export const logFormat = (): "text" | "json" => (process.env["RELEASEPASSPORT_LOG_FORMAT"] === "json" ? "json" : "text")

const sanitizeLine = (line: string) => sanitizeText(line).text

/**
 * pino, as every JSON line of this process is written: ISO time, the level's name, no host
 * or pid (a container knows them), and the whole serialized line through the sanitizer as
 * the last thing before it leaves the process.
 */
const pinoOptions = (pino: typeof Pino.pino): LoggerOptions => ({
  base: null,
  messageKey: "message",
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
  hooks: { streamWrite: sanitizeLine }
})

/** A JSON-lines logger on a stream (stderr by default: stdout carries only what a command prints on purpose). */
export const jsonLines = (destination?: DestinationStream) => {
  const pino = pinoModule()
  return pino(pinoOptions(pino), destination ?? pino.destination({ fd: 2, sync: true }))
}

/** One JSON line as a string (for messages printed by the command-line layer, e.g. a fatal error). */
export const jsonLine = (level: Level, message: string, fields: Record<string, unknown> = {}): string => {
  let written = ""
  jsonLines({ write: (line: string) => (written += line) })[level](fields, message)
  return written.trimEnd()
}

const PINO_LEVELS: Record<string, Level> = {
  TRACE: "trace",
  DEBUG: "debug",
  INFO: "info",
  WARN: "warn",
  WARNING: "warn",
  ERROR: "error",
  FATAL: "fatal"
}

/** Effect's log records (message, annotations, spans, cause) as pino lines. */
const pinoLogger = () => {
  const log = jsonLines()
  return Logger.map(Logger.formatStructured, (record) => {
    const { message, level, timestamp: _time, annotations, spans, cause, fiberId: _fiber } = record
    const fields: Record<string, unknown> = { ...annotations }
    if (Object.keys(spans).length > 0) fields["spans"] = spans
    if (cause !== undefined) fields["cause"] = cause
    log[PINO_LEVELS[level] ?? "info"](fields, typeof message === "string" ? message : JSON.stringify(message))
  })
}

/**
 * Logs go to stderr, so stdout carries only what a command prints on purpose (a token, a
 * verdict) and stays safe to capture in a pipeline. Format: logfmt, or with
 * RELEASEPASSPORT_LOG_FORMAT=json one JSON object per line through pino (for log shippers).
 * Every line passes through the same sanitizer as evidence, as a last line of defence: an
 * error message that quotes a URL with a password or a token must not carry it into a log store.
 */
export const loggingLayer = () =>
  Logger.layer([
    logFormat() === "json"
      ? pinoLogger()
      : Logger.withConsoleError(Logger.map(Logger.formatLogFmt, sanitizeLine))
  ])
