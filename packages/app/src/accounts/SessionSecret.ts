import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto"

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

const sealKey = (secret: string) => createHmac("sha256", secret).update("releasepassport/seal/v1").digest()

/**
 * Seals a short-lived value for the one browser that holds this session: AES-256-GCM under a
 * key derived from the cookie value (like the CSRF token, nothing is stored), bound to a
 * purpose. The console carries a new token's value from its POST to the GET after it this way,
 * never in a URL or a database; without the session cookie the sealed text is noise.
 */
export const sealForSession = (secret: string, purpose: string, plaintext: string): string => {
  const iv = randomBytes(12)
  const cipher = createCipheriv("aes-256-gcm", sealKey(secret), iv)
  cipher.setAAD(Buffer.from(purpose))
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()])
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url")
}

/** The sealed value, or undefined for another session, another purpose, or anything altered. */
export const openForSession = (secret: string, purpose: string, sealed: string): string | undefined => {
  const bytes = Buffer.from(sealed, "base64url")
  if (bytes.length < 28) return undefined
  try {
    const decipher = createDecipheriv("aes-256-gcm", sealKey(secret), bytes.subarray(0, 12))
    decipher.setAAD(Buffer.from(purpose))
    decipher.setAuthTag(bytes.subarray(12, 28))
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString("utf8")
  } catch {
    return undefined
  }
}
