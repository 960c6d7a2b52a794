import { randomBytes, scryptSync } from "node:crypto"
import { describe, expect, it } from "vitest"
import {
  generatePassword,
  hashPassword,
  isPasswordHash,
  needsRehash,
  passwordProblem,
  verifyPassword
} from "../src/accounts/PasswordHash.ts"

const PASSWORD = "correct horse battery staple"

describe("password hashing (scrypt, OWASP parameters)", () => {
  it("stores a self-describing string with parameters, salt and hash, and verifies it", async () => {
    const stored = await hashPassword(PASSWORD)
    expect(stored).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
    expect(stored).not.toContain(PASSWORD)
    expect(isPasswordHash(stored)).toBe(true)
    expect(await verifyPassword(PASSWORD, stored)).toBe(true)
    expect(await verifyPassword(`${PASSWORD}!`, stored)).toBe(false)
    expect(needsRehash(stored)).toBe(false)
  })

  it("salts: the same password hashes differently each time", async () => {
    const [a, b] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)])
    expect(a).not.toBe(b)
  })

  it("treats the same characters in another Unicode form as the same password", async () => {
    const stored = await hashPassword("pässwort-lang-genug")
    expect(await verifyPassword("pa\u0308sswort-lang-genug", stored)).toBe(true)
  })

  it("verifies a hash made with older, weaker parameters and asks for a rehash", async () => {
    const salt = randomBytes(16)
    const key = scryptSync(PASSWORD, salt, 32, { N: 2 ** 14, r: 8, p: 1 })
    const b64 = (b: Buffer) => b.toString("base64").replace(/=+$/, "")
    const weak = `$scrypt$ln=14,r=8,p=1$${b64(salt)}$${b64(key)}`
    expect(await verifyPassword(PASSWORD, weak)).toBe(true)
    expect(needsRehash(weak)).toBe(true)
  })

  it("never matches a malformed or absurd stored hash (and does not run it)", async () => {
    const stored = await hashPassword(PASSWORD)
    for (const bad of [
      "",
      "plain",
      stored.replace("ln=17", "ln=30"),
      stored.replace("r=8", "r=99"),
      stored.replace("$scrypt$", "$argon2id$"),
      stored.slice(0, -10)
    ]) {
      expect(isPasswordHash(bad)).toBe(false)
      expect(await verifyPassword(PASSWORD, bad)).toBe(false)
    }
  })

  it("asks for at least 12 characters and at most 1024", () => {
    expect(passwordProblem("short")).toMatch(/at least 12/)
    expect(passwordProblem("x".repeat(11))).toMatch(/at least 12/)
    expect(passwordProblem(" ".repeat(12))).toMatch(/spaces/)
    expect(passwordProblem("x".repeat(12))).toBeUndefined()
    expect(passwordProblem("x".repeat(1025))).toMatch(/at most 1024/)
    // Characters, not UTF-16 units or bytes.
    expect(passwordProblem("🔑".repeat(11))).toMatch(/at least 12/)
  })

  it("generates long, unambiguous, distinct passwords that pass the policy", () => {
    const passwords = Array.from({ length: 50 }, generatePassword)
    for (const p of passwords) {
      expect(p).toMatch(/^[A-HJ-NP-Za-km-z2-9]{24}$/)
      expect(passwordProblem(p)).toBeUndefined()
    }
    expect(new Set(passwords).size).toBe(50)
  })
})
