import { describe, expect, it } from "vitest"
import { accountThrottleKey, addressThrottleKey } from "../src/accounts/ThrottleKeys.ts"

describe("throttle keys", () => {
  it("hash the account's email, so typed-in passwords are not stored", () => {
    const key = accountThrottleKey("my secret password")
    expect(key).toMatch(/^account:[0-9a-f]{64}$/)
    expect(key).not.toContain("secret")
    expect(accountThrottleKey("a@example.com")).toBe(accountThrottleKey("a@example.com"))
    expect(accountThrottleKey("a@example.com")).not.toBe(accountThrottleKey("b@example.com"))
  })

  it("count an IPv4 address alone, and an IPv4-mapped IPv6 address as that IPv4 address", () => {
    expect(addressThrottleKey("203.0.113.9")).toBe("address:203.0.113.9")
    expect(addressThrottleKey("::ffff:203.0.113.9")).toBe("address:203.0.113.9")
  })

  it("count a whole IPv6 /64 as one client", () => {
    const a = addressThrottleKey("2001:db8:0:1::1")
    expect(a).toBe("address:2001:db8:0:1::/64")
    expect(addressThrottleKey("2001:0db8:0000:0001:ffff:ffff:ffff:ffff")).toBe(a)
    expect(addressThrottleKey("2001:db8:0:2::1")).not.toBe(a)
    expect(addressThrottleKey("::1")).toBe("address:0:0:0:0::/64")
    expect(addressThrottleKey("fe80::1%eth0")).toBe("address:fe80:0:0:0::/64")
  })

  it("put requests without a known address together", () => {
    expect(addressThrottleKey(undefined)).toBe("address:unknown")
  })
})
