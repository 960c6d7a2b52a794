import { describe, expect, it } from "vitest"
import {
  csrfTokenFor,
  csrfTokenMatches,
  generateSessionSecret,
  isSessionSecretShape,
  openForSession,
  sealForSession,
  sessionDigest
} from "../src/accounts/SessionSecret.ts"

describe("session secrets", () => {
  it("are 256 random bits in base64url, new every time", () => {
    const secrets = Array.from({ length: 100 }, generateSessionSecret)
    for (const s of secrets) {
      expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/)
      expect(Buffer.from(s, "base64url")).toHaveLength(32)
      expect(isSessionSecretShape(s)).toBe(true)
    }
    expect(new Set(secrets).size).toBe(100)
  })

  it("refuse other shapes before any lookup", () => {
    for (const bad of ["", "abc", `${generateSessionSecret()}x`, "a".repeat(42) + "=", "a".repeat(42) + "/"]) {
      expect(isSessionSecretShape(bad)).toBe(false)
    }
  })

  it("are stored as SHA-256 hex, which does not contain the secret", () => {
    const secret = generateSessionSecret()
    const digest = sessionDigest(secret)
    expect(digest).toMatch(/^[0-9a-f]{64}$/)
    expect(digest).toBe(sessionDigest(secret))
    expect(digest).not.toContain(secret)
  })

  it("give each session its own CSRF token, which reveals neither the secret nor the digest", () => {
    const a = generateSessionSecret()
    const b = generateSessionSecret()
    const token = csrfTokenFor(a)
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(token).not.toBe(csrfTokenFor(b))
    expect(token).not.toBe(a)
    expect(token).not.toBe(sessionDigest(a))
    expect(csrfTokenMatches(a, token)).toBe(true)
    expect(csrfTokenMatches(b, token)).toBe(false)
    expect(csrfTokenMatches(a, undefined)).toBe(false)
    expect(csrfTokenMatches(a, "")).toBe(false)
    expect(csrfTokenMatches(a, `${token}x`)).toBe(false)
  })

  it("seal a value that only the same session, for the same purpose, can open; anything altered opens to nothing", () => {
    const secret = generateSessionSecret()
    // Token-shaped, built here so that no token-like literal sits in the sources.
    const value = `rp_${"sealed0".repeat(7)}`
    const sealed = sealForSession(secret, "new-token", value)
    expect(sealed).not.toContain(value)
    expect(sealForSession(secret, "new-token", value)).not.toBe(sealed)
    expect(openForSession(secret, "new-token", sealed)).toBe(value)
    expect(openForSession(generateSessionSecret(), "new-token", sealed)).toBeUndefined()
    expect(openForSession(secret, "other-purpose", sealed)).toBeUndefined()
    const bytes = Buffer.from(sealed, "base64url")
    bytes[bytes.length - 1]! ^= 1
    expect(openForSession(secret, "new-token", bytes.toString("base64url"))).toBeUndefined()
    expect(openForSession(secret, "new-token", "short")).toBeUndefined()
    expect(openForSession(secret, "new-token", "")).toBeUndefined()
  })
})
