import { CompactSign, exportJWK, generateKeyPair } from "jose"
import { createPrivateKey } from "node:crypto"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  generateLicenseKeyPair,
  loadPrivateKey,
  loadPublicKey,
  signLicense,
  verifyLicense
} from "../../src/license/LicenseDocument.ts"

/** Signing and verifying licenses, and reading keys, without a server. */
const claims = { jti: "lic-1", customer: "Acme", plan: "team", iat: 1_800_000_000, exp: 1_900_000_000 }

describe("license documents", () => {
  let dir: string
  let pair: { privatePem: string; publicPem: string }
  let privateFile: string
  let publicFile: string
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "releasepassport-license-unit-"))
    pair = await generateLicenseKeyPair()
    privateFile = path.join(dir, "private.pem")
    publicFile = path.join(dir, "public.pem")
    writeFileSync(privateFile, pair.privatePem)
    writeFileSync(publicFile, pair.publicPem)
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const signRaw = async (payload: unknown, header: Record<string, unknown> = {}) =>
    new CompactSign(new TextEncoder().encode(typeof payload === "string" ? payload : JSON.stringify(payload)))
      .setProtectedHeader({ alg: "Ed25519", typ: "releasepassport-license+jwt", ...header })
      .sign(await loadPrivateKey(privateFile))

  it("signs and verifies; the public key may be a path, PEM text or JWK text", async () => {
    const document = await signLicense({ ...claims, entitlements: { maxServices: 5, tier: "gold" } }, await loadPrivateKey(privateFile))
    const jwk = JSON.stringify(await exportJWK(await loadPublicKey(publicFile)))
    for (const config of [publicFile, pair.publicPem, jwk, `  ${pair.publicPem}\n`]) {
      expect(await verifyLicense(document, await loadPublicKey(config))).toEqual({
        _tag: "Verified",
        claims: { ...claims, entitlements: { maxServices: 5, tier: "gold" } }
      })
    }
  })

  it("a document signed as EdDSA (the older name for Ed25519) verifies too", async () => {
    const document = await signRaw(claims, { alg: "EdDSA" })
    expect((await verifyLicense(document, await loadPublicKey(publicFile)))._tag).toBe("Verified")
  })

  it.each([
    ["another typ", async () => signRaw(claims, { typ: "JWT" })],
    ["no customer", async () => signRaw({ ...claims, customer: "" })],
    ["expiry before issue", async () => signRaw({ ...claims, exp: claims.iat })],
    ["a nested entitlement", async () => signRaw({ ...claims, entitlements: { nested: { a: 1 } } })],
    ["a negative maxServices", async () => signRaw({ ...claims, entitlements: { maxServices: -1 } })],
    ["a payload that is not JSON", async () => signRaw("not json")]
  ])("signed but not a license (%s): claims_invalid", async (_label, make) => {
    expect(await verifyLicense(await make(), await loadPublicKey(publicFile))).toEqual({
      _tag: "Invalid",
      reason: "license.claims_invalid"
    })
  })

  it("an HMAC-signed or unsigned token does not pass as a license", async () => {
    const hs = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
      .setProtectedHeader({ alg: "HS256", typ: "releasepassport-license+jwt" })
      .sign(new TextEncoder().encode("a shared secret that is long enough"))
    expect(await verifyLicense(hs, await loadPublicKey(publicFile))).toEqual({ _tag: "Invalid", reason: "license.signature_invalid" })
    const none = `${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`
    expect(await verifyLicense(none, await loadPublicKey(publicFile))).toEqual({ _tag: "Invalid", reason: "license.malformed" })
  })

  it("refuses private keys, other key types and unreadable files as the public key, naming no key bytes", async () => {
    const rsa = await generateKeyPair("RS256", { extractable: true })
    const rsaJwk = JSON.stringify(await exportJWK(rsa.publicKey))
    const privateJwk = JSON.stringify(createPrivateKey(pair.privatePem).export({ format: "jwk" }))
    const cases = [
      [privateFile, "holds a private key"],
      [pair.privatePem, "holds a private key"],
      [privateJwk, "holds a private key"],
      [rsaJwk, "not an Ed25519 key"],
      [path.join(dir, "missing.pem"), "ENOENT"],
      ["{not json", "not valid JSON"]
    ] as const
    for (const [config, message] of cases) {
      const error = await loadPublicKey(config).then(() => undefined, (e: unknown) => e as Error)
      expect(error?.name, config.slice(0, 20)).toBe("LicenseKeyError")
      expect(error?.message).toContain(message)
      expect(error?.message).not.toContain(pair.privatePem.split("\n")[1])
    }
    await expect(loadPrivateKey(publicFile)).rejects.toThrow(/holds a public key/)
  })
})
