/**
 * Checksums that token formats carry, so that a token can be recognised by its content alone,
 * wherever it sits in the text (glued to other word characters, where no boundary marks it).
 */

// CRC-32 (IEEE 802.3, as zlib's), table-driven. Written here because core imports no Node module.
const crcTable = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/** CRC-32 of the UTF-16 code units of an ASCII string (token bodies are ASCII). */
export const crc32 = (ascii: string): number => {
  let crc = 0xffffffff
  for (let i = 0; i < ascii.length; i++) crc = crcTable[(crc ^ ascii.charCodeAt(i)) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

const base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

const base62 = (value: number, width: number): string => {
  let out = ""
  for (let rest = value; rest > 0; rest = Math.floor(rest / 62)) out = base62Alphabet[rest % 62] + out
  return out.padStart(width, "0")
}

/** Release Passport API token: `rp_` + 43 base62 characters + base62 CRC-32 of those 43 (6 characters). */
export const rpTokenShape = { prefix: "rp_", body: 43, checksum: 6 } as const

/** True when `token` (prefix included) is a well-formed Release Passport API token. */
export const hasRpTokenChecksum = (token: string): boolean => {
  const { prefix, body, checksum } = rpTokenShape
  if (token.length !== prefix.length + body + checksum || !token.startsWith(prefix)) return false
  const bodyText = token.slice(prefix.length, prefix.length + body)
  return base62(crc32(bodyText), checksum) === token.slice(prefix.length + body)
}
