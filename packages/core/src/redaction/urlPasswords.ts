/**
 * Passwords in `scheme://user:password@host` URLs, found in one pass over the text.
 *
 * A regular expression for this (`://user:(password{1,1024}?)@(?=host)`) restarts at every `://`
 * and reads up to 1 024 characters ahead each time: 64 KiB of `://a:` cost ~20 ms per string.
 * Here every `@` is judged once ("is a host after it?"), the answer is tabulated right to left,
 * and each `://` then finds its password's end in constant time, so the work is linear.
 *
 * Tabs and line breaks do not end a part: a URL parser removes them (WHATWG URL), so
 * `https://u:pa<TAB>ss@host` still yields the password `pass`.
 */

/** Ends a URL: whitespace other than tab, LF and CR (which a URL parser drops and so do not end it), quotes, angle brackets, NUL (the JSON walk's separator). */
const endsUrl = (c: number): boolean =>
  c === 32 || c === 0 || c === 34 || c === 39 || c === 60 || c === 62 || c === 11 || c === 12 ||
  c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 ||
  c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff

/** Not in a user name: `:/?#@[]` and whatever ends a URL. */
const endsUser = (c: number): boolean =>
  endsUrl(c) || c === 58 || c === 47 || c === 63 || c === 35 || c === 64 || c === 91 || c === 93

/** Not in a host (with port): `/?#@` and whatever ends a URL. */
const endsHost = (c: number): boolean => endsUrl(c) || c === 47 || c === 63 || c === 35 || c === 64

/** The longest password considered: beyond it an `@` is more likely some later address. */
export const maxUrlPasswordLength = 1024

/**
 * hostAfter[i]: the nearest `@` at or after i that a host follows, or n. A host follows an `@`
 * when a non-empty run of host characters comes next and ends the URL, or reaches a `:` (a port).
 * urlEnd[i]: the nearest position at or after i that ends a URL, or n.
 */
const tabulate = (text: string): { readonly hostAfter: Int32Array; readonly urlEnd: Int32Array } => {
  const n = text.length
  const hostAfter = new Int32Array(n + 1)
  const urlEnd = new Int32Array(n + 1)
  hostAfter[n] = n
  urlEnd[n] = n
  // Host runs of different `@`s cannot overlap (a host stops at `@`), so judging each is linear.
  const hostFollows = new Uint8Array(n)
  for (let i = text.indexOf("@"); i >= 0; i = text.indexOf("@", i + 1)) {
    let j = i + 1
    let port = false
    while (j < n && !endsHost(text.charCodeAt(j))) {
      if (text.charCodeAt(j) === 58 && j > i + 1) port = true
      j++
    }
    if (j > i + 1 && (j === n || text.charCodeAt(j) !== 64 || port)) hostFollows[i] = 1
  }
  for (let i = n - 1; i >= 0; i--) {
    hostAfter[i] = hostFollows[i] === 1 ? i : hostAfter[i + 1]!
    urlEnd[i] = endsUrl(text.charCodeAt(i)) ? i : urlEnd[i + 1]!
  }

  return { hostAfter, urlEnd }
}

export interface UrlPassword {
  readonly start: number
  readonly end: number
}

/** Every `[start, end)` that is the password of a `scheme://user:password@host` in `text`. */
export const findUrlPasswords = (text: string): Array<UrlPassword> => {
  const found: Array<UrlPassword> = []
  let at = text.indexOf("://")
  // No `@`, no password to end.
  if (at < 0 || text.indexOf("@", at) < 0) return found
  const n = text.length

  // Tabulated on the first `user:` after a `://`: most texts with URLs have none.
  let tables: { readonly hostAfter: Int32Array; readonly urlEnd: Int32Array } | undefined

  while (at >= 0) {
    let user = at + 3
    while (user < n && !endsUser(text.charCodeAt(user))) user++
    let next = at + 1
    if (user < n && text.charCodeAt(user) === 58) {
      tables ??= tabulate(text)
      const { hostAfter, urlEnd } = tables
      const start = user + 1
      // At least one character of password, so the `@` is searched from start + 1.
      const atSign = start + 1 <= n ? hostAfter[Math.min(start + 1, n)]! : n
      if (atSign < urlEnd[start]! && atSign - start <= maxUrlPasswordLength) {
        found.push({ start, end: atSign })
        next = atSign
      }
    }
    at = text.indexOf("://", next)
  }
  return found
}
