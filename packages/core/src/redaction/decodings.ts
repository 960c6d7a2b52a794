/**
 * Encodings a secret can hide behind in text. Each is undone in one linear pass; the sanitizer
 * scans the decoded text too (see `sanitize.ts` for the text layers and `findSecrets.ts` for
 * base64), because no rule can see `password%3D...`, `\u0041KIA...` or base64 of a PEM key.
 */

const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g

/** Decodes every well-formed run of percent-escapes; a run that is not valid UTF-8 stays as it is. */
const percentDecode = (text: string): string => {
  // One native call when the whole text decodes (most do); run by run only when some escape is bad.
  if (!text.includes("%") || !MALFORMED_PERCENT.test(text)) {
    try {
      return decodeURIComponent(text)
    } catch {
      // Not valid UTF-8 somewhere: decode what is.
    }
  }
  return text.replace(PERCENT_RUN, (run) => {
    try {
      return decodeURIComponent(run)
    } catch {
      return run
    }
  })
}

/** A `%` that does not start an escape, which makes `decodeURIComponent` of the whole text throw. */
const MALFORMED_PERCENT = /%(?![0-9A-Fa-f]{2})/

const UNICODE_ESCAPE = /\\(?:u([0-9A-Fa-f]{4})|u\{([0-9A-Fa-f]{1,6})\}|x([0-9A-Fa-f]{2}))/g

/**
 * Decodes `\uXXXX`, `\u{X...}` and `\xXX` (JSON, JavaScript, Python, shells). Other escapes
 * (`\"`, `\\`, `\n`) stay: the rules already read them, and undoing them would unquote JSON text.
 */
const unicodeUnescape = (text: string): string =>
  text.replace(UNICODE_ESCAPE, (whole, u4: string | undefined, braced: string | undefined, x2: string | undefined) => {
    const code = Number.parseInt(u4 ?? braced ?? x2 ?? "", 16)
    return code <= 0x10ffff ? String.fromCodePoint(code) : whole
  })

export interface TextDecoding {
  readonly name: string
  /** Whether the text holds anything this decoding would change. */
  readonly applies: RegExp
  readonly decode: (text: string) => string
}

export const textDecodings: ReadonlyArray<TextDecoding> = [
  { name: "percent-encoding", applies: /%[0-9A-Fa-f]{2}/, decode: percentDecode },
  { name: "unicode escapes", applies: /\\(?:u[0-9A-Fa-f{]|x[0-9A-Fa-f]{2})/, decode: unicodeUnescape }
]

/** Whether any decoding would change `text`. */
export const isEncoded = (text: string): boolean => textDecodings.some((decoding) => decoding.applies.test(text))

/**
 * Every decoding applied once, in order; `undefined` when nothing changed. Secrets encoded twice
 * (`%253D`) take two layers: the caller repeats, a bounded number of times.
 */
export const decodeOnce = (text: string): string | undefined => {
  let out = text
  for (const decoding of textDecodings) if (decoding.applies.test(out)) out = decoding.decode(out)
  return out === text ? undefined : out
}

/** How many layers of encoding are undone: `%25253D` is three. */
export const maxDecodingLayers = 4

/** `text` with every encoding undone (at most `maxDecodingLayers` layers), or `undefined` if it has none. */
export const fullyDecoded = (text: string): string | undefined => {
  if (!isEncoded(text)) return undefined
  let decoded: string | undefined
  for (let layer = 0, current = text; layer < maxDecodingLayers; layer++) {
    const next = decodeOnce(current)
    if (next === undefined) break
    decoded = current = next
  }
  return decoded
}

// --- base64 ---------------------------------------------------------------------------------

/** The shortest base64 run decoded: 24 bytes, less than any secret worth a rule. */
const minBase64Run = 32

const base64Chars = (() => {
  const table = new Uint8Array(128)
  for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_") table[c.charCodeAt(0)] = 1
  return table
})()

const isBase64Char = (c: number): boolean => c < 128 && base64Chars[c] === 1

/**
 * Runs of the base64 (or base64url) alphabet long enough to hold a secret, with their `=` padding:
 * `[start, end)`. One pass over the text (a regular expression would restart inside every short run).
 */
export const base64Runs = (text: string): Array<{ readonly start: number; readonly end: number }> => {
  const runs: Array<{ start: number; end: number }> = []
  const n = text.length
  let i = 0
  while (i < n) {
    if (!isBase64Char(text.charCodeAt(i))) {
      i++
      continue
    }
    const start = i
    while (i < n && isBase64Char(text.charCodeAt(i))) i++
    if (i - start < minBase64Run) continue
    let end = i
    while (end < n && end - i < 2 && text.charCodeAt(end) === 61) end++
    runs.push({ start, end })
    i = end
  }
  return runs
}

const utf8 = new TextDecoder("utf-8")
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/

/** Bytes at each end of a decoded run that may be garbage from glued characters. */
const edge = 3

/**
 * Whether the bytes of `binary` (one character per byte), but up to `edge` at each end, are UTF-8
 * text without control characters. Stops at the first byte that is not: random bytes (digests,
 * identifiers, DER keys) fail within a few, so rejecting them costs next to nothing.
 */
const looksLikeText = (binary: string): boolean => {
  const end = binary.length - edge
  let i = edge
  while (i < end && i < 2 * edge && (binary.charCodeAt(i) & 0xc0) === 0x80) i++
  while (i < end) {
    const b = binary.charCodeAt(i)
    if (b < 0x80) {
      if ((b < 0x20 && b !== 9 && b !== 10 && b !== 13) || b === 0x7f) return false
      i++
      continue
    }
    const extra = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0
    if (extra === 0) return false
    for (let k = 1; k <= extra; k++) if ((binary.charCodeAt(i + k) & 0xc0) !== 0x80) return i + k >= end
    i += extra + 1
  }
  return true
}

const decodeAligned = (body: string): string | undefined => {
  let aligned = body
  if (aligned.length % 4 === 1) aligned = aligned.slice(0, -1)
  let binary: string
  try {
    binary = atob(aligned)
  } catch {
    return undefined
  }
  if (!looksLikeText(binary)) return undefined
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  const decoded = utf8.decode(bytes)
  if (!CONTROL.test(decoded)) return decoded
  // Word characters glued to the run decode to a few bad characters at its very ends (a shift
  // realigns 1-3 glued before it; 4 make a whole quantum of garbage): those are cut, once.
  let from = 0
  let to = decoded.length
  for (let i = 0; i < Math.min(edge, decoded.length); i++) if (CONTROL.test(decoded[i]!)) from = i + 1
  for (let i = decoded.length - 1; i >= Math.max(from, decoded.length - edge); i--) if (CONTROL.test(decoded[i]!)) to = i
  const inner = decoded.slice(from, to)
  return inner.length > 0 && !CONTROL.test(inner) ? inner : undefined
}

/**
 * The text a base64 run encodes, or `undefined` when it is not text (binary keys, digests and
 * random identifiers decode to invalid UTF-8 or control characters, and are left to the rules).
 * Invalid UTF-8 shows as U+FFFD rather than as an exception: thousands of runs of binary in one
 * document would otherwise cost an exception each. A run glued to 1-3 word characters before it
 * (`xLS0tLS1...`) is misaligned: each shift is tried.
 */
export const decodeBase64Text = (run: string): string | undefined => {
  let body = run.replace(/=+$/, "")
  if (/[-_]/.test(body)) body = body.replace(/-/g, "+").replace(/_/g, "/")
  for (let shift = 0; shift < 4 && body.length - shift >= minBase64Run; shift++) {
    const decoded = decodeAligned(shift === 0 ? body : body.slice(shift))
    if (decoded !== undefined) return decoded
  }
  return undefined
}
