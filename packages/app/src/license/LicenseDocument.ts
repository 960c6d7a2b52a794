import { LICENSE_TYPE, LicenseClaims, LicenseInvalidReasons } from "@releasepassport/core"
import type { LicenseInvalidReason } from "@releasepassport/core"
import { Schema } from "effect"
import { CompactSign, compactVerify, errors, exportPKCS8, exportSPKI, generateKeyPair, importJWK, importPKCS8, importSPKI } from "jose"
import { readFile } from "node:fs/promises"

/**
 * Licenses on the wire: a compact JWS (a JWT) signed with Ed25519, `typ`
 * `releasepassport-license+jwt`, whose payload is the `LicenseClaims`. Keys are PEM (PKCS#8
 * private, SPKI public) or JWK. Nothing here ever puts a key or a document in an error
 * message: messages say what is wrong, not what the bytes were.
 */

/** Signed as RFC 9864's fully specified `Ed25519`; `EdDSA` (the older name for the same thing) verifies too. */
const SIGNING_ALG = "Ed25519"
const ACCEPTED_ALGS = ["Ed25519", "EdDSA"]

/** Far larger than any real license (~600 bytes); bounds the work of a hostile document. */
const MAX_DOCUMENT_BYTES = 16 * 1024
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/** A key that cannot be used; the message is safe to print and log. */
export class LicenseKeyError extends Error {
  override readonly name = "LicenseKeyError"
}

export type VerifiedKey = CryptoKey

const looksLikeJwk = (text: string) => text.startsWith("{")
const looksLikePem = (text: string) => text.startsWith("-----BEGIN ")

/**
 * The configured public key: PEM (SPKI, `-----BEGIN PUBLIC KEY-----`) or JWK text given
 * directly, or else a path to a file holding either. A private key is refused: servers never
 * need one, and one configured by mistake should not sit on every server.
 */
export const loadPublicKey = async (config: string): Promise<VerifiedKey> => {
  const given = config.trim()
  let text = given
  let source = "the configured text"
  if (!looksLikePem(given) && !looksLikeJwk(given)) {
    source = given
    try {
      text = (await readFile(given, "utf8")).trim()
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unreadable"
      throw new LicenseKeyError(`cannot read the license public key file ${given} (${code})`)
    }
  }
  if (looksLikeJwk(text)) {
    let jwk: Record<string, unknown>
    try {
      jwk = JSON.parse(text) as Record<string, unknown>
    } catch {
      throw new LicenseKeyError(`the license public key in ${source} is not valid JSON (JWK)`)
    }
    if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) {
      throw new LicenseKeyError(`the license public key in ${source} is not a JWK object`)
    }
    if ("d" in jwk) {
      throw new LicenseKeyError(`${source} holds a private key; configure the public key (license-public.pem) instead`)
    }
    if (jwk["kty"] !== "OKP" || jwk["crv"] !== "Ed25519") {
      throw new LicenseKeyError(`the license public key in ${source} is not an Ed25519 key (JWK kty OKP, crv Ed25519)`)
    }
    try {
      return (await importJWK(jwk, SIGNING_ALG)) as CryptoKey
    } catch {
      throw new LicenseKeyError(`the license public key in ${source} is not a usable Ed25519 JWK`)
    }
  }
  if (text.includes("PRIVATE KEY-----")) {
    throw new LicenseKeyError(`${source} holds a private key; configure the public key (license-public.pem) instead`)
  }
  if (!text.startsWith("-----BEGIN PUBLIC KEY-----")) {
    throw new LicenseKeyError(`${source} is not a PEM public key (-----BEGIN PUBLIC KEY-----) or a JWK`)
  }
  try {
    return await importSPKI(text, SIGNING_ALG)
  } catch {
    throw new LicenseKeyError(`the license public key in ${source} is not an Ed25519 public key`)
  }
}

/** The vendor's private key, from a file (PKCS#8 PEM, or a JWK with `d`). Never from a flag's text. */
export const loadPrivateKey = async (path: string): Promise<CryptoKey> => {
  let text: string
  try {
    text = (await readFile(path, "utf8")).trim()
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable"
    throw new LicenseKeyError(`cannot read the private key file ${path} (${code})`)
  }
  try {
    if (looksLikeJwk(text)) {
      const jwk = JSON.parse(text) as Record<string, unknown>
      if (!("d" in jwk)) throw new LicenseKeyError(`${path} holds a public key; signing needs the private key`)
      return (await importJWK(jwk, SIGNING_ALG)) as CryptoKey
    }
    if (text.startsWith("-----BEGIN PUBLIC KEY-----")) {
      throw new LicenseKeyError(`${path} holds a public key; signing needs the private key (license-private.pem)`)
    }
    return await importPKCS8(text, SIGNING_ALG)
  } catch (error) {
    if (error instanceof LicenseKeyError) throw error
    throw new LicenseKeyError(`${path} is not an Ed25519 private key (PKCS#8 PEM or JWK)`)
  }
}

/** A new signing key pair, as PEM texts. */
export const generateLicenseKeyPair = async (): Promise<{ readonly privatePem: string; readonly publicPem: string }> => {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALG, { extractable: true })
  return { privatePem: await exportPKCS8(privateKey), publicPem: await exportSPKI(publicKey) }
}

/** Signs a license. The claims are checked first: what is signed is always a valid license. */
export const signLicense = async (claims: LicenseClaims, privateKey: CryptoKey): Promise<string> => {
  const checked = Schema.decodeUnknownSync(LicenseClaims)(claims)
  if (checked.exp <= checked.iat) throw new Error("a license must expire after it is issued")
  return new CompactSign(new TextEncoder().encode(JSON.stringify(checked)))
    .setProtectedHeader({ alg: SIGNING_ALG, typ: LICENSE_TYPE })
    .sign(privateKey)
}

export type LicenseVerification =
  | { readonly _tag: "Verified"; readonly claims: LicenseClaims }
  | { readonly _tag: "Invalid"; readonly reason: LicenseInvalidReason }

const invalid = (reason: LicenseInvalidReason): LicenseVerification => ({ _tag: "Invalid", reason })
const decodeClaims = Schema.decodeUnknownOption(LicenseClaims)

/**
 * Verifies a document against the public key: signature first, then that it is a license
 * (`typ`, claims). Expiry is not judged here: an expired license is still a genuine one,
 * and the status says how it stands against the clock.
 */
export const verifyLicense = async (document: string, key: VerifiedKey): Promise<LicenseVerification> => {
  const compact = document.trim()
  if (compact.length > MAX_DOCUMENT_BYTES || !COMPACT_JWS.test(compact)) return invalid(LicenseInvalidReasons.malformed)
  let verified: Awaited<ReturnType<typeof compactVerify>>
  try {
    verified = await compactVerify(compact, key, { algorithms: ACCEPTED_ALGS })
  } catch (error) {
    // Another algorithm, a forged signature, or one made with another key all fail here.
    if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JOSEAlgNotAllowed) {
      return invalid(LicenseInvalidReasons.signatureInvalid)
    }
    return invalid(LicenseInvalidReasons.malformed)
  }
  if (verified.protectedHeader.typ !== LICENSE_TYPE) return invalid(LicenseInvalidReasons.claimsInvalid)
  let payload: unknown
  try {
    payload = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(verified.payload))
  } catch {
    return invalid(LicenseInvalidReasons.claimsInvalid)
  }
  const claims = decodeClaims(payload)
  if (claims._tag === "None" || claims.value.exp <= claims.value.iat) return invalid(LicenseInvalidReasons.claimsInvalid)
  return { _tag: "Verified", claims: claims.value }
}
