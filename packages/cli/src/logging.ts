import { sanitizeBatch, sanitizeText } from "@releasepassport/core"
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

/** Where a batch of log lines is written: stderr, or a test's collector. */
export type LogSink = (chunk: string) => void

const stderrSink: LogSink = (chunk) => void process.stderr.write(chunk)

/**
 * The lines logged in one turn of the event loop, sanitized in one scan and written in one
 * write. A server logs a line per request: sanitizing each line alone cost about 35 µs (the
 * scan's fixed cost, every rule every time) and a write to stderr per line, together about a
 * tenth of a gate request's CPU; scanned together (`sanitizeBatch`, the evidence path's
 * batching) a line costs about 9 µs. Lines are written at the latest when the process exits,
 * and in the order they were logged.
 */
export class LogBatch {
  private pending: Array<string> = []
  private scheduled = false
  private readonly sink: LogSink
  constructor(sink: LogSink) {
    this.sink = sink
  }

  readonly add = (line: string): void => {
    this.pending.push(line)
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(this.flush)
  }

  readonly flush = (): void => {
    this.scheduled = false
    if (this.pending.length === 0) return
    const lines = this.pending
    this.pending = []
    const { texts } = sanitizeBatch({ texts: lines, values: [] })
    let chunk = ""
    for (const { text } of texts) chunk += `${text}\n`
    this.sink(chunk)
  }
}

/** The process's one batch for stderr, flushed on exit so that a last line before `process.exit` is not lost. */
let stderrBatch: LogBatch | undefined
const processBatch = (): LogBatch => {
  if (stderrBatch === undefined) {
    const batch = new LogBatch(stderrSink)
    process.once("exit", batch.flush)
    stderrBatch = batch
  }
  return stderrBatch
}

/**
 * pino, as every JSON line of this process is written: ISO time, the level's name, no host
 * or pid (a container knows them), and the whole serialized line through the sanitizer as
 * the last thing before it leaves the process.
 */
const pinoOptions = (pino: typeof Pino.pino, sanitize: boolean): LoggerOptions => ({
  base: null,
  messageKey: "message",
  timestamp: pino.stdTimeFunctions.isoTime,
  formatters: { level: (label) => ({ level: label }) },
  ...(sanitize ? { hooks: { streamWrite: sanitizeLine } } : {})
})

/**
 * A JSON-lines logger on a stream (stderr by default: stdout carries only what a command prints
 * on purpose). `batch`: the lines go to a `LogBatch`, which sanitizes them, instead of each line
 * being sanitized on its own.
 */
export const jsonLines = (destination?: DestinationStream, batch?: LogBatch) => {
  const pino = pinoModule()
  if (batch !== undefined) return pino(pinoOptions(pino, false), { write: (line: string) => batch.add(line.trimEnd()) })
  return pino(pinoOptions(pino, true), destination ?? pino.destination({ fd: 2, sync: true }))
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
const pinoLogger = (batch: LogBatch) => {
  const log = jsonLines(undefined, batch)
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
 * Lines are batched per event-loop turn (`LogBatch`); `sink` replaces stderr (tests).
 */
export const loggingLayer = (sink?: LogSink) => {
  const batch = sink === undefined ? processBatch() : new LogBatch(sink)
  return Logger.layer([
    logFormat() === "json"
      ? pinoLogger(batch)
      : Logger.map(Logger.formatLogFmt, batch.add)
  ])
}
