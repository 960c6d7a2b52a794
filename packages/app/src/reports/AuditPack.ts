import { CHAIN_GENESIS, chainHash, csvHeader, csvRecord, decisionCells, neutraliseCell, sha256Hex } from "./DecisionRows.ts"
import type { DecisionRow } from "./DecisionRows.ts"

/** One file of the pack. */
export interface PackEntry {
  readonly name: string
  readonly bytes: Uint8Array
}

export const MANIFEST = "manifest.json"
export const DECISIONS_CSV = "decisions.csv"
export const CHAIN_COLUMN = "rowHash"

export interface Manifest {
  readonly format: "releasepassport-audit-pack/1"
  readonly workspace: string
  readonly window: { readonly since: string; readonly until: string }
  readonly generatedAt: string
  readonly generatedBy: string
  readonly decisions: { readonly rows: number; readonly chainHead: string }
  readonly entries: ReadonlyArray<{ readonly name: string; readonly sha256: string; readonly size: number }>
}

/** Builds decisions.csv a row at a time, each row ending in the hash of the chain so far. */
export class DecisionChain {
  private head = CHAIN_GENESIS
  private rows = 0
  private readonly parts: Array<string> = [csvHeader([CHAIN_COLUMN])]
  add(row: DecisionRow): void {
    // The chain covers the cells as written (neutralised), which is what a reader parses back.
    const cells = decisionCells(row).map(neutraliseCell)
    this.head = chainHash(this.head, cells)
    this.rows++
    this.parts.push(csvRecord([...cells, this.head]))
  }
  finish(): { readonly text: string; readonly rows: number; readonly chainHead: string } {
    return { text: this.parts.join(""), rows: this.rows, chainHead: this.head }
  }
}

const encoder = new TextEncoder()
export const textEntry = (name: string, text: string): PackEntry => ({ name, bytes: encoder.encode(text) })

export const manifestEntry = (manifest: Omit<Manifest, "entries">, entries: ReadonlyArray<PackEntry>): PackEntry =>
  textEntry(MANIFEST, JSON.stringify({
    ...manifest,
    entries: entries.map((entry) => ({ name: entry.name, sha256: sha256Hex(entry.bytes), size: entry.bytes.byteLength }))
  } satisfies Manifest, null, 2) + "\n")

/**
 * RFC 4180 records, as decisions.csv writes them. The pack is checked offline by the CLI, so
 * this is the one reader the chain is verified with (and it must not be lenient).
 */
export const parseCsv = (text: string): Array<Array<string>> | undefined => {
  const records: Array<Array<string>> = []
  let i = 0
  while (i < text.length) {
    const record: Array<string> = []
    for (;;) {
      let cell = ""
      if (text[i] === "\"") {
        i++
        for (;;) {
          if (i >= text.length) return undefined
          if (text[i] === "\"") {
            if (text[i + 1] === "\"") {
              cell += "\""
              i += 2
            } else {
              i++
              break
            }
          } else cell += text[i++]
        }
      } else {
        while (i < text.length && text[i] !== "," && text[i] !== "\r" && text[i] !== "\n") {
          if (text[i] === "\"") return undefined
          cell += text[i++]
        }
      }
      record.push(cell)
      if (text[i] === ",") {
        i++
        continue
      }
      if (text.startsWith("\r\n", i)) i += 2
      else if (i < text.length) return undefined
      break
    }
    records.push(record)
  }
  return records
}

/**
 * Checks a pack offline: every listed entry present with its size and sha256, nothing
 * unlisted, and decisions.csv's chain intact up to the manifest's head and row count.
 * Returns what is wrong; an empty list means the pack is as generated.
 */
export const verifyAuditPack = (files: ReadonlyMap<string, Uint8Array>): ReadonlyArray<string> => {
  const problems: Array<string> = []
  const manifestBytes = files.get(MANIFEST)
  if (manifestBytes === undefined) return [`${MANIFEST} is missing`]
  let manifest: Manifest
  try {
    manifest = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(manifestBytes)) as Manifest
    if (!Array.isArray(manifest.entries) || typeof manifest.decisions?.chainHead !== "string") throw new Error("shape")
  } catch {
    return [`${MANIFEST} is not a pack manifest`]
  }
  const listed = new Set<string>()
  for (const entry of manifest.entries) {
    listed.add(entry.name)
    const bytes = files.get(entry.name)
    if (bytes === undefined) problems.push(`${entry.name}: listed in the manifest but missing`)
    else if (bytes.byteLength !== entry.size) problems.push(`${entry.name}: size ${bytes.byteLength}, manifest says ${entry.size}`)
    else if (sha256Hex(bytes) !== entry.sha256) problems.push(`${entry.name}: sha256 does not match the manifest`)
  }
  for (const name of files.keys()) if (name !== MANIFEST && !listed.has(name)) problems.push(`${name}: not listed in the manifest`)

  const csv = files.get(DECISIONS_CSV)
  if (csv === undefined) return [...problems, `${DECISIONS_CSV} is missing`]
  const records = parseCsv(new TextDecoder().decode(csv))
  if (records === undefined) return [...problems, `${DECISIONS_CSV} is not valid CSV`]
  const [header, ...rows] = records
  if (header === undefined || header.at(-1) !== CHAIN_COLUMN) return [...problems, `${DECISIONS_CSV} has no ${CHAIN_COLUMN} column`]
  let head = CHAIN_GENESIS
  rows.forEach((row, index) => {
    const cells = row.slice(0, -1)
    const expected = chainHash(head, cells)
    if (row.length !== header.length || row.at(-1) !== expected) {
      problems.push(`${DECISIONS_CSV} row ${index + 1}: the hash chain is broken (edited, removed or reordered rows)`)
    }
    head = row.at(-1) ?? ""
  })
  if (rows.length !== manifest.decisions.rows) problems.push(`${DECISIONS_CSV}: ${rows.length} rows, manifest says ${manifest.decisions.rows}`)
  if (head !== manifest.decisions.chainHead) problems.push(`${DECISIONS_CSV}: the chain does not end at the manifest's head`)
  return problems
}
