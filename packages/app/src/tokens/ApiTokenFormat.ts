import { createHash, randomBytes, timingSafeEqual } from "node:crypto"
import { crc32 } from "node:zlib"

/**
 * API token format: `rp_` + 43 base62 characters (256 random bits) + 6 base62 characters
 * of CRC32 checksum over the body. The prefix lets secret scanners find leaked tokens; the
 * checksum lets them (and us) reject a mistyped or made-up token without a database lookup.
 * Only the SHA-256 digest of a token is ever stored.
 */
const PREFIX = "rp_"
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const BODY_LENGTH = 43
const CHECKSUM_LENGTH = 6
export const API_TOKEN_LENGTH = PREFIX.length + BODY_LENGTH + CHECKSUM_LENGTH
const SHAPE = new RegExp(`^${PREFIX}[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}$`)

const base62 = (value: bigint, width: number): string => {
  let out = ""
  let rest = value
  while (rest > 0n) {
    out = ALPHABET[Number(rest % 62n)] + out
    rest /= 62n
  }
  return out.padStart(width, "0")
}

const checksum = (body: string): string => base62(BigInt(crc32(body)), CHECKSUM_LENGTH)

export const generateApiToken = (): string => {
  const body = base62(BigInt(`0x${randomBytes(32).toString("hex")}`), BODY_LENGTH)
  return `${PREFIX}${body}${checksum(body)}`
}

export type TokenShape = "ok" | "malformed" | "bad_checksum"

/** Checks the form of a presented token: cheap, and no database access. */
export const checkApiTokenShape = (value: string): TokenShape => {
  if (!SHAPE.test(value)) return "malformed"
  const body = value.slice(PREFIX.length, PREFIX.length + BODY_LENGTH)
  return checksum(body) === value.slice(PREFIX.length + BODY_LENGTH) ? "ok" : "bad_checksum"
}

/** The stored form of a token: SHA-256, hex. */
export const apiTokenDigest = (value: string): string => createHash("sha256").update(value).digest("hex")

/** Compares two digests in constant time. */
export const digestsEqual = (a: string, b: string): boolean => {
  const left = Buffer.from(a, "hex")
  const right = Buffer.from(b, "hex")
  return left.length === right.length && timingSafeEqual(left, right)
}
