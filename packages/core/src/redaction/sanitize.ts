import { fullyDecoded } from "./decodings.ts"
import { findSecretsInEach, type SecretSpan } from "./findSecrets.ts"
import { isDescribingName, isEntryNameField, sensitiveNameKind } from "./rules.ts"
import { isMarker, redactionMarker, type SecretKind } from "./SecretKind.ts"

/** What a sanitizer removed: how many values, and of which kinds (never the values). */
export interface Redactions {
  readonly redactions: number
  /** Distinct kinds, sorted. */
  readonly kinds: ReadonlyArray<SecretKind>
}

export interface SanitizedText extends Redactions {
  readonly text: string
}

export interface SanitizedJson extends Redactions {
  readonly value: unknown
}

/** Containers nested deeper than this are replaced by `[REDACTED:depth_limit]`. */
export const maxJsonDepth = 64

class Tally {
  redactions = 0
  readonly kinds = new Set<SecretKind>()
  add(kind: SecretKind): void {
    this.redactions++
    this.kinds.add(kind)
  }
  addAll(result: Redactions): void {
    this.redactions += result.redactions
    for (const kind of result.kinds) this.kinds.add(kind)
  }
  sortedKinds(): ReadonlyArray<SecretKind> {
    return [...this.kinds].sort()
  }
}

/** `text` from `from` to `to`, with the spans inside it (offsets relative to `text`) replaced. */
const redactSpans = (
  text: string,
  spans: ReadonlyArray<SecretSpan>,
  from: number,
  to: number,
  tally: Tally
): string => {
  let out = ""
  let at = from
  for (const span of spans) {
    const start = Math.max(span.start, from)
    const end = Math.min(span.end, to)
    if (end <= start) continue
    out += text.slice(at, start) + redactionMarker(span.kind)
    at = end
    tally.add(span.kind)
  }
  return out + text.slice(at, to)
}

interface TextResult extends SanitizedText {
  /** The kind of the one finding that is the whole text, if there is one. */
  readonly whole: SecretKind | undefined
}

const redacted = (text: string, spans: ReadonlyArray<SecretSpan>): SanitizedText => {
  if (spans.length === 0) return { text, redactions: 0, kinds: [] }
  const tally = new Tally()
  return { text: redactSpans(text, spans, 0, text.length, tally), redactions: tally.redactions, kinds: tally.sortedKinds() }
}

/**
 * Sanitizes many texts with two scans, however many texts there are: one of them all as they
 * are, and one of those that are encoded, decoded.
 *
 * Secrets can hide behind encodings (`?note=DB_PASSWORD%253D...`, `"\u0041KIA..."`), so encoded
 * text is also decoded, every layer (at most `maxDecodingLayers`), and scanned again. The decoded
 * text is decoded from the input, not from its sanitized form: a redaction in the encoded text
 * (a key id found glued after `%2C`) would take away the context that finds more once decoded (the
 * secret key beside that id). When the decoded text holds more secrets, its sanitized form is what
 * is returned: a changed encoding is a small price for not storing a secret.
 */
const sanitizeEach = (texts: ReadonlyArray<string>): Array<TextResult> => {
  const results: Array<TextResult> = findSecretsInEach(texts).map((spans, i) => {
    const text = texts[i]!
    const only = spans.length === 1 ? spans[0]! : undefined
    const whole = only !== undefined && only.start === 0 && only.end === text.length ? only.kind : undefined
    return { ...redacted(text, spans), whole }
  })

  const which: Array<number> = []
  const decoded: Array<string> = []
  texts.forEach((text, i) => {
    const plain = fullyDecoded(text)
    if (plain === undefined) return
    which.push(i)
    decoded.push(plain)
  })
  if (decoded.length === 0) return results
  findSecretsInEach(decoded).forEach((spans, k) => {
    if (spans.length === 0) return
    const i = which[k]!
    const direct = results[i]!
    const layered = redacted(decoded[k]!, spans)
    // The direct result covered everything when decoding it gives the same as sanitizing the
    // decoded text; then it is kept, with its encoding.
    if ((fullyDecoded(direct.text) ?? direct.text) === layered.text) return
    results[i] = { ...layered, whole: direct.whole }
  })
  return results
}

/**
 * Replaces every secret in `text` by `[REDACTED:<kind>]`, also behind percent-encoding and `\u`
 * escapes (then the decoded text is returned, see `sanitizeEach`). Sanitizing twice changes
 * nothing more.
 */
export const sanitizeText = (text: string): SanitizedText => {
  if (text === "") return { text, redactions: 0, kinds: [] }
  const { text: sanitized, redactions, kinds } = sanitizeEach([text])[0]!
  return { text: sanitized, redactions, kinds }
}

// --- JSON ---------------------------------------------------------------------------------------

type Container = Record<string, unknown> | Array<unknown>

/** A string of the input (a value or an object key) waiting for the one scan of all strings. */
interface Pending {
  readonly holder: Container
  readonly key: string | number
  readonly text: string
  /** A value: replaced whole when it sits under a sensitive name; a key: renamed if it holds a secret. */
  readonly role: { readonly value: SecretKind | undefined } | "key"
}

const setOwn = (holder: Container, key: string | number, value: unknown): void => {
  if (key === "__proto__") {
    Object.defineProperty(holder, key, { value, writable: true, enumerable: true, configurable: true })
  } else {
    ;(holder as Record<string | number, unknown>)[key] = value
  }
}

/** What a key says, worked out once per distinct key: documents repeat their keys thousands of times. */
interface KeyMeaning {
  /** The kind of secret the key names, if any. */
  readonly kind: SecretKind | undefined
  /** The key describes a secret rather than holds one (`name`, `type`, ...). */
  readonly describes: boolean
  /** The key names the entry of a name/value list (`name`, `key`, `ParameterKey`, ...). */
  readonly namesEntry: boolean
}

const keyMeanings = new Map<string, KeyMeaning>()
const meaningOf = (key: string): KeyMeaning => {
  let meaning = keyMeanings.get(key)
  if (meaning === undefined) {
    if (keyMeanings.size > 10_000) keyMeanings.clear()
    meaning = { kind: sensitiveNameKind(key), describes: isDescribingName(key), namesEntry: isEntryNameField(key) }
    keyMeanings.set(key, meaning)
  }
  return meaning
}

const nameKind = (key: string): SecretKind | undefined => meaningOf(key).kind

const isPlainContainer = (value: object): boolean => {
  if (Array.isArray(value)) return true
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/**
 * The kind that a sensitive entry name gives the other values of a name/value entry
 * (`{"name": "DB_PASSWORD", "value": ...}`), and the field that names it.
 */
const entryKind = (source: Record<string, unknown>): { readonly field: string; readonly kind: SecretKind } | undefined => {
  for (const field of Object.keys(source)) {
    const name = source[field]
    if (typeof name !== "string" || !meaningOf(field).namesEntry) continue
    const kind = nameKind(name)
    if (kind !== undefined) return { field, kind }
  }
  return undefined
}

class JsonWalk {
  readonly pending: Array<Pending> = []
  readonly tally = new Tally()
  private readonly ancestors = new Set<object>()

  private queue(holder: Container, key: string | number, text: string, role: Pending["role"]): void {
    this.pending.push({ holder, key, text, role })
  }

  private redactWhole(holder: Container, key: string | number, kind: SecretKind): void {
    setOwn(holder, key, redactionMarker(kind))
    this.tally.add(kind)
  }

  /**
   * Copies `input` into `holder[key]`; `sensitive` is the kind named by the enclosing key, if any.
   * It flows down through containers (`{"password": {"value": ...}}`, `{"password": [{"v": ...}]}`),
   * except into keys that describe rather than hold (`name`, `username`, `type`, ...).
   */
  place(holder: Container, key: string | number, input: unknown, depth: number, sensitive: SecretKind | undefined): void {
    let value = input
    if (typeof value === "object" && value !== null && !isPlainContainer(value)) {
      const toJSON = (value as { toJSON?: unknown }).toJSON
      if (typeof toJSON === "function") value = (toJSON as () => unknown).call(value)
    }
    switch (typeof value) {
      case "string":
        setOwn(holder, key, value)
        if (value === "" || isMarker(value)) return
        this.queue(holder, key, value, { value: sensitive })
        return
      case "number":
      case "boolean":
      case "bigint":
        if (sensitive !== undefined) this.redactWhole(holder, key, sensitive)
        else setOwn(holder, key, value)
        return
      case "object": {
        if (value === null) return setOwn(holder, key, null)
        if (depth >= maxJsonDepth) return this.redactWhole(holder, key, "depth_limit")
        if (this.ancestors.has(value)) return this.redactWhole(holder, key, "cycle")
        this.ancestors.add(value)
        if (Array.isArray(value)) {
          const out: Array<unknown> = new Array(value.length)
          setOwn(holder, key, out)
          // A sensitive name covers its array (`"cookies": ["a=1", "b=2"]`, `"password": [{"v": ...}]`).
          for (let i = 0; i < value.length; i++) this.place(out, i, value[i], depth + 1, sensitive)
        } else {
          const source = value as Record<string, unknown>
          const out: Record<string, unknown> = {}
          setOwn(holder, key, out)
          const serviceAccount = source["type"] === "service_account"
          const entry = entryKind(source)
          for (const name of Object.keys(source)) {
            const describes = meaningOf(name).describes || name === entry?.field
            const kind = serviceAccount && (name === "private_key" || name === "private_key_id")
              ? "gcp_service_account_key"
              : nameKind(name) ?? (describes ? undefined : sensitive ?? entry?.kind)
            this.place(out, name, source[name], depth + 1, kind)
            // No rule finds a secret in fewer than 8 characters; most keys are shorter.
            if (name.length >= 8) this.queue(out, name, name, "key")
          }
        }
        this.ancestors.delete(value)
        return
      }
      default:
        // undefined, functions, symbols: not JSON data; JSON.stringify drops them as it would have.
        setOwn(holder, key, value)
    }
  }

  /** Writes back the results of scanning `pending` (in its order, with other walks' strings or alone). */
  apply(results: ReadonlyArray<TextResult>): void {
    const renames = new Map<Record<string, unknown>, Map<string, string>>()
    this.pending.forEach((item, i) => {
      const result = results[i]!
      if (item.role === "key") {
        if (result.redactions === 0) return
        this.tally.addAll(result)
        const holder = item.holder as Record<string, unknown>
        let forHolder = renames.get(holder)
        if (forHolder === undefined) renames.set(holder, (forHolder = new Map()))
        forHolder.set(item.key as string, result.text)
      } else if (item.role.value !== undefined) {
        // The whole value goes; name it after what it is when one finding is exactly the value.
        this.redactWhole(item.holder, item.key, result.whole ?? item.role.value)
      } else if (result.redactions > 0) {
        setOwn(item.holder, item.key, result.text)
        this.tally.addAll(result)
      }
    })
    for (const [holder, forHolder] of renames) renameKeys(holder, forHolder)
  }
}

/** Renames keys in place, keeping their order; a renamed key that collides gets `#2`, `#3`, ... */
const renameKeys = (holder: Record<string, unknown>, renames: ReadonlyMap<string, string>): void => {
  const entries = Object.keys(holder).map((key) => [key, holder[key]] as const)
  for (const [key] of entries) delete holder[key]
  const taken = new Set(entries.map(([key]) => key).filter((key) => !renames.has(key)))
  for (const [key, value] of entries) {
    let name = renames.get(key)
    if (name !== undefined) {
      const base = name
      for (let n = 2; taken.has(name); n++) name = `${base}#${n}`
      taken.add(name)
    }
    setOwn(holder, name ?? key, value)
  }
}

/**
 * `sanitizeText` of each of `texts` and `sanitizeJson` of each of `values`, with the two scans
 * of one call whatever their number: a batch of evidence is a few hundred short strings, and a
 * scan's fixed cost (every rule, every time) per string would be most of its ingest time. The
 * strings are scanned joined, as a JSON document's strings always are (`findSecretsInEach`).
 */
export const sanitizeBatch = (input: {
  readonly texts: ReadonlyArray<string>
  readonly values: ReadonlyArray<unknown>
}): { readonly texts: Array<SanitizedText>; readonly values: Array<SanitizedJson> } => {
  const walks = input.values.map((value) => {
    const walk = new JsonWalk()
    const root: Array<unknown> = [undefined]
    walk.place(root, 0, value, 0, undefined)
    return { walk, root }
  })
  const scanned: Array<string> = input.texts.filter((text) => text !== "")
  for (const { walk } of walks) for (const item of walk.pending) scanned.push(item.text)
  const results = scanned.length === 0 ? [] : sanitizeEach(scanned)
  let next = 0
  const texts = input.texts.map((text): SanitizedText => {
    if (text === "") return { text, redactions: 0, kinds: [] }
    const { text: sanitized, redactions, kinds } = results[next++]!
    return { text: sanitized, redactions, kinds }
  })
  const values = walks.map(({ walk, root }): SanitizedJson => {
    const count = walk.pending.length
    if (count > 0) walk.apply(results.slice(next, next + count))
    next += count
    return { value: root[0], redactions: walk.tally.redactions, kinds: walk.tally.sortedKinds() }
  })
  return { texts, values }
}

/**
 * Returns a sanitized copy of a JSON value: every string (values and keys) is scanned like
 * `sanitizeText`; values under sensitive names (`password`, `client_secret`, `apiKey`, `token`,
 * `authorization`, `cookie`, `session`, ... and their `-`/`_`/camelCase variants, see `rules.ts`)
 * are replaced whole when they are non-empty strings, numbers or booleans, at any depth below the
 * name except under keys that describe (`name`, `username`, `type`, ...), and so are the values of
 * name/value entries whose name is sensitive (`{"name": "DB_PASSWORD", "value": ...}`); containers
 * nested deeper than `maxJsonDepth` and cycles are replaced by a marker. The input is not modified.
 */
export const sanitizeJson = (value: unknown): SanitizedJson => sanitizeBatch({ texts: [], values: [value] }).values[0]!
