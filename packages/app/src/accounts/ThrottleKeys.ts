import { createHash } from "node:crypto"
import { isIPv4, isIPv6 } from "node:net"

/**
 * The keys failed sign-ins are counted under. The account key is a hash of the normalized
 * email: people type passwords into the email field, and such typos must not be stored.
 */
export const accountThrottleKey = (normalizedEmail: string): string =>
  `account:${createHash("sha256").update(normalizedEmail).digest("hex")}`

const expandIPv6 = (address: string): Array<string> => {
  const [head = "", tail] = address.split("::")
  const left = head === "" ? [] : head.split(":")
  const right = tail === undefined || tail === "" ? [] : tail.split(":")
  const missing = tail === undefined ? 0 : 8 - left.length - right.length
  return [...left, ...Array.from({ length: missing }, () => "0"), ...right].map((group) =>
    group.toLowerCase().replace(/^0+(?=.)/, "")
  )
}

/**
 * The client network counted as one: an IPv4 address, or an IPv6 /64 (one subscriber usually
 * holds a whole /64, so counting single IPv6 addresses would not throttle anyone).
 */
export const addressThrottleKey = (remoteAddress: string | undefined): string => {
  if (remoteAddress === undefined || remoteAddress === "") return "address:unknown"
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remoteAddress)
  if (mapped !== null) return `address:${mapped[1]}`
  if (isIPv4(remoteAddress)) return `address:${remoteAddress}`
  const plain = remoteAddress.split("%")[0]!
  if (isIPv6(plain)) return `address:${expandIPv6(plain).slice(0, 4).join(":")}::/64`
  return `address:${remoteAddress}`
}
