import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto"

/**
 * The session cookie's value: 256 random bits, base64url (43 characters). The database keeps
 * only its SHA-256, so a read of the sessions table gives nobody a usable cookie.
 */
const SHAPE = /^[A-Za-z0-9_-]{43}$/

export const generateSessionSecret = (): string => randomBytes(32).toString("base64url")

/** Checks the form of a presented cookie value: cheap, and no database access. */
export const isSessionSecretShape = (value: string): boolean => SHAPE.test(value)

/** The stored form of a session: SHA-256, hex. */
export const sessionDigest = (secret: string): string => createHash("sha256").update(secret).digest("hex")

/**
 * The session's CSRF token, derived from the cookie value with HMAC so that nothing extra is
 * stored: only a holder of the cookie can compute it, and the token does not reveal the cookie.
 */
export const csrfTokenFor = (secret: string): string =>
  createHmac("sha256", secret).update("releasepassport/csrf/v1").digest("base64url")

/** Compares a presented CSRF token with the session's, in constant time. */
export const csrfTokenMatches = (secret: string, presented: string | undefined): boolean => {
  if (presented === undefined) return false
  const expected = Buffer.from(csrfTokenFor(secret))
  const given = Buffer.from(presented)
  return expected.length === given.length && timingSafeEqual(expected, given)
}
