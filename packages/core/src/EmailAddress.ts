/**
 * Accounts are keyed by email, compared case-insensitively: `Ada@Example.com` and
 * `ada@example.com` are one account. Every write and lookup goes through `normalizeEmail`.
 */
export const normalizeEmail = (email: string): string => email.trim().normalize("NFC").toLowerCase()

/** At most 254 characters (RFC 5321 path limit), one `@`, something on both sides, no spaces. */
export const isPlausibleEmail = (email: string): boolean =>
  email.length <= 254 && /^[^\s@]+@[^\s@]+$/.test(email)
