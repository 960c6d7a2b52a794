import { sanitizeText } from "@releasepassport/core"
import type { DecisionRecord } from "@releasepassport/core"
import { createHash } from "node:crypto"

/**
 * One exported decision: exactly the fields the export promises, copied one by one from the
 * store's record (never a spread), so a field added to the store cannot reach a report unasked.
 */
export interface DecisionRow {
  readonly evaluationId: string
  readonly passportId: string
  readonly workspace: string
  readonly service: string
  readonly namespace: string
  readonly environment: string
  readonly releaseId: string
  readonly artifactDigest: string
  readonly sourceSha: string
  readonly mode: string
  readonly verdict: string
  readonly allowed: boolean
  readonly wouldBlock: boolean
  readonly blockerCodes: ReadonlyArray<string>
  readonly warningCodes: ReadonlyArray<string>
  readonly policyRevision: string
  readonly bundleDigest: string
  readonly evaluatedAt: string
  readonly tokenName: string | null
  readonly tokenId: string | null
}

/**
 * Redacts what a user typed into a field that reports copy out. The gate stores identifiers
 * (service, release id, environment, ...) as sent, so a secret pasted there would otherwise
 * reach an export. Memoised: a window repeats the same few names on every row.
 */
export const makeRedactor = (capacity = 10_000) => {
  const seen = new Map<string, string>()
  return (value: string): string => {
    let clean = seen.get(value)
    if (clean === undefined) {
      if (seen.size >= capacity) seen.clear()
      clean = sanitizeText(value).text
      seen.set(value, clean)
    }
    return clean
  }
}

/** A row builder for one export, with its own redaction memo. */
export const makeDecisionRow = (redact: (value: string) => string = makeRedactor()) => (record: DecisionRecord): DecisionRow => ({
  evaluationId: record.evaluationId,
  passportId: record.passportId,
  workspace: record.workspaceSlug,
  service: redact(record.service),
  namespace: redact(record.namespace),
  environment: redact(record.environment),
  releaseId: redact(record.releaseId),
  artifactDigest: redact(record.artifactDigest),
  sourceSha: redact(record.sourceSha),
  mode: record.mode,
  verdict: record.verdict,
  allowed: record.allowed,
  wouldBlock: record.wouldBlock,
  blockerCodes: record.blockers.map((finding) => finding.code),
  warningCodes: record.warnings.map((finding) => finding.code),
  policyRevision: record.policyRevision,
  bundleDigest: record.bundleDigest,
  evaluatedAt: record.evaluatedAt,
  // Token names are free text an operator typed; a pasted secret there is redacted on the way out.
  tokenName: record.token === null ? null : redact(record.token.name),
  tokenId: record.token?.id ?? null
})

/** The CSV columns, in order: the header row's names are the JSONL keys. */
export const DECISION_COLUMNS = [
  "evaluationId",
  "passportId",
  "workspace",
  "service",
  "namespace",
  "environment",
  "releaseId",
  "artifactDigest",
  "sourceSha",
  "mode",
  "verdict",
  "allowed",
  "wouldBlock",
  "blockerCodes",
  "warningCodes",
  "policyRevision",
  "bundleDigest",
  "evaluatedAt",
  "tokenName",
  "tokenId"
] as const satisfies ReadonlyArray<keyof DecisionRow>

/** Codes in a CSV cell are separated by this (codes never contain a space). */
export const CODE_SEPARATOR = " "

const FORMULA_LEAD = /^[=+\-@\t\r]/

/**
 * A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, or a tab/CR before one)
 * gets a leading apostrophe, the OWASP "CSV injection" advice: shown as text, never executed.
 */
export const neutraliseCell = (value: string): string => (FORMULA_LEAD.test(value) ? `'${value}` : value)

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, and its quotes doubled. */
const quoteField = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.replaceAll("\"", "\"\"")}"` : value)

export const csvCell = (value: string): string => quoteField(neutraliseCell(value))

const cellText = (row: DecisionRow, column: (typeof DECISION_COLUMNS)[number]): string => {
  const value = row[column]
  if (value === null) return ""
  if (typeof value === "boolean") return value ? "true" : "false"
  if (typeof value === "string") return value
  return value.join(CODE_SEPARATOR)
}

/** One CSV record (RFC 4180 lines end in CRLF), with any extra cells after the columns. */
export const csvRecord = (cells: ReadonlyArray<string>): string => cells.map(csvCell).join(",") + "\r\n"

export const decisionCells = (row: DecisionRow): ReadonlyArray<string> => DECISION_COLUMNS.map((column) => cellText(row, column))

export const csvHeader = (extra: ReadonlyArray<string> = []): string => csvRecord([...DECISION_COLUMNS, ...extra])

export const csvLine = (row: DecisionRow): string => csvRecord(decisionCells(row))

/** JSON Lines: one object a line, keys in column order. */
export const jsonlLine = (row: DecisionRow): string => {
  const ordered: Record<string, unknown> = {}
  for (const column of DECISION_COLUMNS) ordered[column] = row[column]
  return JSON.stringify(ordered) + "\n"
}

export const sha256Hex = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex")

/** The hash the first row of a chain covers in place of a previous row. */
export const CHAIN_GENESIS = "0".repeat(64)

/**
 * The audit pack's hash chain: a row's hash covers the previous row's hash and the row's own
 * cells, so editing, removing, inserting or reordering a row changes every hash after it.
 */
export const chainHash = (previous: string, cells: ReadonlyArray<string>): string =>
  sha256Hex(previous + "\n" + JSON.stringify(cells))
