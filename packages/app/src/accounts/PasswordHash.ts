import { randomBytes, scrypt, timingSafeEqual } from "node:crypto"

/**
 * Password hashing with Node's built-in scrypt (no native addon) at OWASP's recommended cost:
 * N = 2^17, r = 8, p = 1 (about 128 MiB and a few hundred milliseconds per hash).
 *
 * Stored as a self-describing string, `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` (base64, no
 * padding: the format passlib uses), so parameters can be raised later: a hash made with
 * weaker parameters still verifies, and `needsRehash` says to replace it at the next sign-in.
 */
export const SCRYPT_PARAMS = { ln: 17, r: 8, p: 1 } as const
const SALT_BYTES = 16
const KEY_BYTES = 32

export const MIN_PASSWORD_LENGTH = 12
/** Long enough for any passphrase or manager-made password; bounded so a request cannot be huge. */
export const MAX_PASSWORD_LENGTH = 1024

/** Why a new password is refused, or undefined when it is acceptable. */
export const passwordProblem = (password: string): string | undefined => {
  const length = [...password].length
  if (length < MIN_PASSWORD_LENGTH) return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`
  if (length > MAX_PASSWORD_LENGTH) return `a password may have at most ${MAX_PASSWORD_LENGTH} characters`
  if (password.trim() === "") return "a password must not be only spaces"
  return undefined
}

interface Params {
  readonly ln: number
  readonly r: number
  readonly p: number
}

const derive = (password: string, salt: Buffer, params: Params, length: number): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const N = 2 ** params.ln
    scrypt(
      // The same characters typed on another keyboard or OS must give the same bytes.
      Buffer.from(password.normalize("NFC"), "utf8"),
      salt,
      length,
      // Node refuses by default above 32 MiB; scrypt needs 128 * N * r bytes.
      { N, r: params.r, p: params.p, maxmem: 256 * N * params.r },
      (error, key) => (error ? reject(error) : resolve(key))
    )
  })

const b64 = (bytes: Buffer) => bytes.toString("base64").replace(/=+$/, "")

export const hashPassword = async (password: string): Promise<string> => {
  const salt = randomBytes(SALT_BYTES)
  const key = await derive(password, salt, SCRYPT_PARAMS, KEY_BYTES)
  const { ln, r, p } = SCRYPT_PARAMS
  return `$scrypt$ln=${ln},r=${r},p=${p}$${b64(salt)}$${b64(key)}`
}

const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/

interface Parsed extends Params {
  readonly salt: Buffer
  readonly key: Buffer
}

/**
 * Reads a stored hash. Parameters outside sane bounds are refused rather than run: a
 * tampered row must not make one sign-in cost gigabytes or minutes.
 */
const parse = (stored: string): Parsed | undefined => {
  const match = FORMAT.exec(stored)
  if (match === null) return undefined
  const [ln, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])]
  if (ln < 10 || ln > 20 || r < 1 || r > 16 || p < 1 || p > 4) return undefined
  const salt = Buffer.from(match[4]!, "base64")
  const key = Buffer.from(match[5]!, "base64")
  // A shorter key is a prefix of the full one (scrypt ends in PBKDF2): never accept a truncated hash.
  if (salt.length < 16 || key.length < KEY_BYTES || key.length > 64) return undefined
  return { ln, r, p, salt, key }
}

export const isPasswordHash = (stored: string): boolean => parse(stored) !== undefined

/** Whether `password` matches `stored`, compared in constant time. A malformed hash never matches. */
export const verifyPassword = async (password: string, stored: string): Promise<boolean> => {
  const parsed = parse(stored)
  if (parsed === undefined) return false
  const key = await derive(password, parsed.salt, parsed, parsed.key.length)
  return timingSafeEqual(key, parsed.key)
}

/** Whether a stored hash was made with other parameters than today's, and should be replaced. */
export const needsRehash = (stored: string): boolean => {
  const parsed = parse(stored)
  return parsed === undefined || parsed.ln !== SCRYPT_PARAMS.ln || parsed.r !== SCRYPT_PARAMS.r ||
    parsed.p !== SCRYPT_PARAMS.p || parsed.key.length !== KEY_BYTES
}

const PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"

/** A generated password: 24 characters from 57 unambiguous ones, about 140 bits. */
export const generatePassword = (): string => {
  let out = ""
  while (out.length < 24) {
    for (const byte of randomBytes(32)) {
      // Rejection sampling keeps every character equally likely.
      if (byte < 256 - (256 % PASSWORD_ALPHABET.length) && out.length < 24) out += PASSWORD_ALPHABET[byte % PASSWORD_ALPHABET.length]
    }
  }
  return out
}
