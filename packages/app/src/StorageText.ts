import { sanitizeBatch, sanitizeText } from "@releasepassport/core"
import { Effect } from "effect"
import { SecretInIdentifier } from "./errors.ts"

/**
 * The one place where text a user wrote enters storage. Every use case hands its whole input
 * to `admit` before it calls a store, and stores only what `admit` gave back. `admit` walks
 * every string in the input (object keys included), so a new field is covered the day it is
 * added, without anyone remembering it:
 *
 * - `identifier` (the default for any path not named): names something (a service, a
 *   release, a connector, a token) and cannot be rewritten, so a secret there is refused with
 *   `SecretInIdentifier` and nothing is stored;
 * - `text`: free text (a summary, a comment, a URL), stored sanitized;
 * - `json`: a free JSON value (evidence details), stored sanitized;
 * - `credential`: a secret by design (a password), which its use case never stores as given.
 */
export type TextRule = "identifier" | "text" | "json" | "credential"

/** Rules by dotted path; `*` stands for any array index (`evidence.*.summary`). */
export type TextRules = Readonly<Record<string, TextRule>>

export interface Admitted<A> {
  readonly value: A
  /** How many secrets were redacted from free text. */
  readonly redactions: number
}

/**
 * Identifiers already found clean. A full sanitizer pass costs tens of microseconds even for a
 * short string (every rule, every time), and a gate request has two dozen strings, its keys
 * included, nearly all of which every request repeats (field names, services, environments,
 * manifest paths). `sanitizeText` is a pure function of its input, so a verdict remembered is
 * the verdict recomputed: the same strings are refused as without the memo. Only clean verdicts
 * are kept (a refused string may hold a secret, which must not linger in memory), only for short
 * strings, and at most `CLEAN_MEMO_SIZE` of them (oldest out first), so memory stays bounded
 * whatever the callers send.
 */
const cleanMemo = new Set<string>()
const CLEAN_MEMO_SIZE = 4096
const CLEAN_MEMO_MAX_LENGTH = 256

/** Whether an identifier may be stored: it carries nothing the sanitizer takes for a secret. */
export const isCleanIdentifier = (value: string): boolean => {
  if (cleanMemo.has(value)) return true
  const clean = sanitizeText(value).redactions === 0
  if (clean && value.length <= CLEAN_MEMO_MAX_LENGTH) {
    if (cleanMemo.size >= CLEAN_MEMO_SIZE) cleanMemo.delete(cleanMemo.values().next().value as string)
    cleanMemo.add(value)
  }
  return clean
}

/** `admit` for one identifier outside a payload (a header, a path parameter). */
export const admitIdentifier = (field: string, value: string): Effect.Effect<string, SecretInIdentifier> =>
  isCleanIdentifier(value) ? Effect.succeed(value) : Effect.fail(new SecretInIdentifier({ field }))

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * Checks and sanitizes every string of `input` by `rules` (paths relative to `base`, which only
 * prefixes the field named in a refusal). Returns a copy; the input is never changed.
 */
export const admit = <A>(input: A, rules: TextRules = {}, base = ""): Effect.Effect<Admitted<A>, SecretInIdentifier> =>
  Effect.map(admitAll([input], rules, [base]), (admitted) => admitted[0]!)

const joinPath = (path: string, key: string) => (path === "" ? key : `${path}.${key}`)

/**
 * `admit` of each of `inputs` (the field of a refusal is `base.<index>...`), with the free text
 * of them all sanitized in one scan: an evidence batch is a hundred items of three free texts
 * each, and a scan per text would cost more than storing them.
 */
export const admitEach = <A>(
  inputs: ReadonlyArray<A>,
  rules: TextRules = {},
  base = ""
): Effect.Effect<Array<Admitted<A>>, SecretInIdentifier> =>
  admitAll(inputs, rules, inputs.map((_, i) => joinPath(base, String(i))))

/** `inputs[i]`'s refusals name fields under `fields[i]`. */
const admitAll = <A>(
  inputs: ReadonlyArray<A>,
  rules: TextRules,
  fields: ReadonlyArray<string>
): Effect.Effect<Array<Admitted<A>>, SecretInIdentifier> =>
  Effect.suspend(() => {
    let refused: string | undefined
    // Free text and JSON wait for the one scan; a slot says where its sanitized form goes.
    interface Slot {
      readonly owner: number
      readonly holder: Record<string, unknown> | Array<unknown>
      readonly key: string | number
    }
    const texts: Array<string> = []
    const textSlots: Array<Slot> = []
    const values: Array<unknown> = []
    const valueSlots: Array<Slot> = []
    // The rule path uses `*` for indices, the reported field the real index.
    // (`owner`, `holder`, `key`: where the value sits, kept only for what waits for the scan.)
    const walk = (value: unknown, rulePath: string, field: string, owner: number, holder: Slot["holder"], key: string | number): unknown => {
      if (refused !== undefined) return value
      const rule = rules[rulePath] ?? "identifier"
      if (rule === "credential") return value
      if (rule === "json") {
        values.push(value)
        valueSlots.push({ owner, holder, key })
        return value
      }
      if (typeof value === "string") {
        if (rule === "text") {
          texts.push(value)
          textSlots.push({ owner, holder, key })
          return value
        }
        if (!isCleanIdentifier(value)) refused = field
        return value
      }
      if (Array.isArray(value)) {
        const out: Array<unknown> = new Array(value.length)
        value.forEach((item, i) => {
          out[i] = walk(item, joinPath(rulePath, "*"), joinPath(field, String(i)), owner, out, i)
        })
        return out
      }
      if (isRecord(value)) {
        const out: Record<string, unknown> = {}
        for (const [name, item] of Object.entries(value)) {
          // A key is written too: it must pass the identifier rule like any name.
          if (!isCleanIdentifier(name) && refused === undefined) refused = joinPath(field, name)
          out[name] = walk(item, joinPath(rulePath, name), joinPath(field, name), owner, out, name)
        }
        return out
      }
      return value
    }
    const copies: Array<Array<unknown>> = inputs.map((input, i) => {
      const holder: Array<unknown> = [undefined]
      holder[0] = walk(input, "", fields[i]!, i, holder, 0)
      return holder
    })
    if (refused !== undefined) return Effect.fail(new SecretInIdentifier({ field: refused }))
    const redactions = inputs.map(() => 0)
    const place = (slot: Slot, sanitized: unknown, count: number) => {
      ;(slot.holder as Record<string | number, unknown>)[slot.key] = sanitized
      redactions[slot.owner]! += count
    }
    const sanitized = sanitizeBatch({ texts, values })
    sanitized.texts.forEach((result, k) => place(textSlots[k]!, result.text, result.redactions))
    sanitized.values.forEach((result, k) => place(valueSlots[k]!, result.value, result.redactions))
    return Effect.succeed(copies.map((holder, i) => ({ value: holder[0] as A, redactions: redactions[i]! })))
  })
