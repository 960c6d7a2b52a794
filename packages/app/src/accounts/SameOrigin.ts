/**
 * Whether a request's `Origin` is this server. With a configured public URL the origin must be
 * exactly it (scheme, host and port); without one, the origin's host must equal the `Host`
 * header the request was sent to. A missing, `null` or unparsable origin is never same-origin.
 */
export const isSameOrigin = (
  origin: string | undefined,
  target: { readonly publicUrl: string | undefined; readonly host: string | undefined }
): boolean => {
  if (origin === undefined || origin === "null") return false
  let presented: URL
  try {
    presented = new URL(origin)
  } catch {
    return false
  }
  if (presented.protocol !== "https:" && presented.protocol !== "http:") return false
  if (target.publicUrl !== undefined) {
    try {
      return presented.origin === new URL(target.publicUrl).origin
    } catch {
      return false
    }
  }
  if (target.host === undefined || target.host === "") return false
  try {
    // Parsed with the origin's scheme, so default ports compare equal (`host:80` and `host`).
    return new URL(`${presented.protocol}//${target.host}`).host === presented.host
  } catch {
    return false
  }
}
