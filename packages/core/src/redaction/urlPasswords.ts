/**
 * Passwords in `scheme://user:password@host` URLs, found in one pass over the text.
 *
 * A regular expression for this (`://user:(password{1,1024}?)@(?=host)`) restarts at every `://`
 * and reads up to 1 024 characters ahead each time: 64 KiB of `://a:` cost ~20 ms per string.
 * Here every `@` is judged once ("is a host after it?") and every character read at most twice,
 * so the work is linear.
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

  // Passwords start further right each time, so both answers below are pointers that only move
  // forward: each `@` is judged once, each character read at most twice.

  // The first `@` at or after the last question that a host follows (n if none). A host follows when
  // a non-empty run of host characters comes next and ends the URL, or reaches a `:` (a port).
  let hostAt = -1
  const hostAtFrom = (from: number): number => {
    if (hostAt >= from) return hostAt
    for (let i = text.indexOf("@", from); ; i = text.indexOf("@", i + 1)) {
      if (i < 0) return (hostAt = n)
      let j = i + 1
      let port = false
      while (j < n && !endsHost(text.charCodeAt(j))) {
        if (text.charCodeAt(j) === 58 && j > i + 1) port = true
        j++
      }
      if (j > i + 1 && (j === n || text.charCodeAt(j) !== 64 || port)) return (hostAt = i)
    }
  }
  // The first position at or after the last question that ends a URL (n if none).
  let endAt = -1
  const endFrom = (from: number): number => {
    if (endAt >= from) return endAt
    let j = from
    while (j < n && !endsUrl(text.charCodeAt(j))) j++
    return (endAt = j)
  }

  while (at >= 0) {
    let user = at + 3
    while (user < n && !endsUser(text.charCodeAt(user))) user++
    let next = at + 1
    if (user < n && text.charCodeAt(user) === 58) {
      const start = user + 1
      // At least one character of password, so the `@` is searched from start + 1.
      const atSign = start < n ? hostAtFrom(start + 1) : n
      if (atSign < endFrom(start) && atSign - start <= maxUrlPasswordLength) {
        found.push({ start, end: atSign })
        next = atSign
      }
    }
    at = text.indexOf("://", next)
  }
  return found
}
