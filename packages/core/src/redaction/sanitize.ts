import { findSecrets, type SecretSpan } from "./findSecrets.ts"
import { sensitiveNameKind } from "./rules.ts"
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

const scanText = (text: string): SanitizedText => {
  const spans = findSecrets(text)
  if (spans.length === 0) return { text, redactions: 0, kinds: [] }
  const tally = new Tally()
  const sanitized = redactSpans(text, spans, 0, text.length, tally)
  return { text: sanitized, redactions: tally.redactions, kinds: tally.sortedKinds() }
}

const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/
const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g

/** Decodes every well-formed run of percent-escapes; a run that is not valid UTF-8 stays as it is. */
const percentDecode = (text: string): string =>
  text.replace(PERCENT_RUN, (run) => {
    try {
      return decodeURIComponent(run)
    } catch {
      return run
    }
  })

/**
 * Replaces every secret in `text` by `[REDACTED:<kind>]`. Sanitizing twice changes nothing more.
 *
 * Secrets can hide behind percent-encoding (`?note=TOKEN%3Drp_...` has no word boundary before
 * the prefix), so text with escapes is also scanned decoded; when that finds more, the decoded,
 * sanitized text is what is returned: a changed encoding is a small price for not storing a secret.
 */
export const sanitizeText = (text: string): SanitizedText => {
  const direct = scanText(text)
  if (!PERCENT_ESCAPE.test(direct.text)) return direct
  const decoded = scanText(percentDecode(direct.text))
  if (decoded.redactions === 0) return direct
  return {
    text: decoded.text,
    redactions: direct.redactions + decoded.redactions,
    kinds: [...new Set([...direct.kinds, ...decoded.kinds])].sort()
  }
}

// --- JSON ---------------------------------------------------------------------------------------

type Container = Record<string, unknown> | Array<unknown>

/**
 * A string of the input (a value or an object key) waiting for the one scan of all strings.
 * `start` is its offset in the joined text.
 */
interface Pending {
  readonly holder: Container
  readonly key: string | number
  readonly text: string
  readonly start: number
  /** A value: replaced whole when it sits under a sensitive name; a key: renamed if it holds a secret. */
  readonly role: { readonly value: SecretKind | undefined } | "key"
}

/**
 * Strings are scanned together, joined by a separator that no rule matches across (a newline stops
 * every single-line rule; NUL stops the multi-line ones), and findings that still straddle two
 * strings are cut at the boundary. One scan of ~64 KiB is far cheaper than thousands of scans of
 * short strings.
 */
const separator = "\n\u0000\n"

const setOwn = (holder: Container, key: string | number, value: unknown): void => {
  if (key === "__proto__") {
    Object.defineProperty(holder, key, { value, writable: true, enumerable: true, configurable: true })
  } else {
    ;(holder as Record<string | number, unknown>)[key] = value
  }
}

const nameKinds = new Map<string, SecretKind | null>()
const nameKind = (key: string): SecretKind | undefined => {
  let kind = nameKinds.get(key)
  if (kind === undefined) {
    if (nameKinds.size > 10_000) nameKinds.clear()
    kind = sensitiveNameKind(key) ?? null
    nameKinds.set(key, kind)
  }
  return kind ?? undefined
}

const isPlainContainer = (value: object): boolean => {
  if (Array.isArray(value)) return true
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

class JsonWalk {
  readonly parts: Array<string> = []
  readonly pending: Array<Pending> = []
  readonly tally = new Tally()
  private offset = 0
  private readonly ancestors = new Set<object>()

  private queue(holder: Container, key: string | number, text: string, role: Pending["role"]): void {
    this.pending.push({ holder, key, text, start: this.offset, role })
    this.parts.push(text)
    this.offset += text.length + separator.length
  }

  private redactWhole(holder: Container, key: string | number, kind: SecretKind): void {
    setOwn(holder, key, redactionMarker(kind))
    this.tally.add(kind)
  }

  /** Copies `input` into `holder[key]`; `sensitive` is the kind named by the enclosing key, if any. */
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
        if (sensitive === undefined && PERCENT_ESCAPE.test(value)) {
          // Rare: scanned on its own so that its decoded form is checked too (see sanitizeText).
          const sanitized = sanitizeText(value)
          setOwn(holder, key, sanitized.text)
          this.tally.addAll(sanitized)
          return
        }
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
          // A sensitive name covers the primitives of its array (`"cookies": ["a=1", "b=2"]`).
          for (let i = 0; i < value.length; i++) this.place(out, i, value[i], depth + 1, sensitive)
        } else {
          const source = value as Record<string, unknown>
          const out: Record<string, unknown> = {}
          setOwn(holder, key, out)
          const serviceAccount = source["type"] === "service_account"
          for (const name of Object.keys(source)) {
            const kind = serviceAccount && (name === "private_key" || name === "private_key_id")
              ? "gcp_service_account_key"
              : nameKind(name)
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

  /** Scans every queued string at once and writes the redacted strings and keys back. */
  finish(): void {
    if (this.pending.length === 0) return
    const joined = this.parts.join(separator)
    const spans = findSecrets(joined)
    const renames = new Map<Record<string, unknown>, Map<string, string>>()
    let next = 0
    for (const item of this.pending) {
      const end = item.start + item.text.length
      while (next < spans.length && spans[next]!.end <= item.start) next++
      const inside: Array<SecretSpan> = []
      for (let i = next; i < spans.length && spans[i]!.start < end; i++) inside.push(spans[i]!)

      if (item.role === "key") {
        if (inside.length === 0) continue
        const renamed = redactSpans(joined, inside, item.start, end, this.tally)
        const holder = item.holder as Record<string, unknown>
        let forHolder = renames.get(holder)
        if (forHolder === undefined) renames.set(holder, (forHolder = new Map()))
        forHolder.set(item.key as string, renamed)
      } else if (item.role.value !== undefined) {
        // The whole value goes; name it after what it is when one finding is exactly the value.
        const only = inside.length === 1 ? inside[0]! : undefined
        const kind = only !== undefined && only.start <= item.start && only.end >= end ? only.kind : item.role.value
        this.redactWhole(item.holder, item.key, kind)
      } else if (inside.length > 0) {
        setOwn(item.holder, item.key, redactSpans(joined, inside, item.start, end, this.tally))
      }
    }
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
 * Returns a sanitized copy of a JSON value: every string (values and keys) is scanned like
 * `sanitizeText`; values under sensitive names (`password`, `client_secret`, `apiKey`, `token`,
 * `authorization`, `cookie`, `session`, ... and their `-`/`_`/camelCase variants, see `rules.ts`)
 * are replaced whole when they are non-empty strings, numbers or booleans; containers nested
 * deeper than `maxJsonDepth` and cycles are replaced by a marker. The input is not modified.
 */
export const sanitizeJson = (value: unknown): SanitizedJson => {
  const walk = new JsonWalk()
  const root: Array<unknown> = [undefined]
  walk.place(root, 0, value, 0, undefined)
  walk.finish()
  return { value: root[0], redactions: walk.tally.redactions, kinds: walk.tally.sortedKinds() }
}
