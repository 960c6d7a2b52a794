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
    const join = joinPath
    // Free text and JSON wait for the one scan; `put` writes the sanitized value in place.
    const texts: Array<string> = []
    const textSlots: Array<{ readonly owner: number; readonly put: (text: string) => void }> = []
    const values: Array<unknown> = []
    const valueSlots: Array<{ readonly owner: number; readonly put: (value: unknown) => void }> = []
    const slot = (holder: Record<string, unknown> | Array<unknown>, key: string | number) => (value: unknown) => {
      ;(holder as Record<string | number, unknown>)[key] = value
    }
    // The rule path uses `*` for indices, the reported field the real index.
    const walk = (
      value: unknown,
      rulePath: string,
      field: string,
      owner: number,
      put: (value: unknown) => void
    ): unknown => {
      if (refused !== undefined) return value
      const rule = rules[rulePath] ?? "identifier"
      if (rule === "credential") return value
      if (rule === "json") {
        values.push(value)
        valueSlots.push({ owner, put })
        return value
      }
      if (typeof value === "string") {
        if (rule === "text") {
          texts.push(value)
          textSlots.push({ owner, put })
          return value
        }
        if (!isCleanIdentifier(value)) refused = field
        return value
      }
      if (Array.isArray(value)) {
        const out: Array<unknown> = new Array(value.length)
        value.forEach((item, i) => {
          out[i] = walk(item, join(rulePath, "*"), join(field, String(i)), owner, slot(out, i))
        })
        return out
      }
      if (isRecord(value)) {
        const out: Record<string, unknown> = {}
        for (const [key, item] of Object.entries(value)) {
          // A key is written too: it must pass the identifier rule like any name.
          if (!isCleanIdentifier(key) && refused === undefined) refused = join(field, key)
          out[key] = walk(item, join(rulePath, key), join(field, key), owner, slot(out, key))
        }
        return out
      }
      return value
    }
    const copies: Array<unknown> = inputs.map((input, i) => {
      const holder: Array<unknown> = [undefined]
      holder[0] = walk(input, "", fields[i]!, i, slot(holder, 0))
      return holder
    })
    if (refused !== undefined) return Effect.fail(new SecretInIdentifier({ field: refused }))
    const redactions = inputs.map(() => 0)
    const sanitized = sanitizeBatch({ texts, values })
    sanitized.texts.forEach((result, k) => {
      const { owner, put } = textSlots[k]!
      put(result.text)
      redactions[owner]! += result.redactions
    })
    sanitized.values.forEach((result, k) => {
      const { owner, put } = valueSlots[k]!
      put(result.value)
      redactions[owner]! += result.redactions
    })
    return Effect.succeed(copies.map((holder, i) => ({ value: (holder as Array<unknown>)[0] as A, redactions: redactions[i]! })))
  })
