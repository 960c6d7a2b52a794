import { Schema } from "effect"
import { describe, expect, it } from "vitest"
import { COMMUNITY_ENTITLEMENTS, LicenseStatus, licenseStatus, licenseTiming } from "../src/index.ts"
import type { LicenseClaims } from "../src/index.ts"

const NOW = new Date("2026-11-28T12:00:00.000Z")
const DAY = 86_400_000
const seconds = (date: Date) => Math.floor(date.getTime() / 1000)
const claims = (expiresInMs: number, entitlements?: LicenseClaims["entitlements"]): LicenseClaims => ({
  jti: "lic-1",
  customer: "Acme",
  plan: "enterprise",
  iat: seconds(new Date(NOW.getTime() - 10 * DAY)),
  exp: seconds(new Date(NOW.getTime() + expiresInMs)),
  ...(entitlements !== undefined ? { entitlements } : {})
})
const usage = { installation: 12, workspace: 3 }
const verified = (c: LicenseClaims) => ({ _tag: "Verified" as const, claims: c, installedAt: NOW.toISOString() })
const encode = Schema.encodeSync(LicenseStatus)

describe("licenseTiming, on a clock the caller controls", () => {
  it.each([
    [365 * DAY, "active", 365],
    [30 * DAY + 1000, "active", 31],
    [30 * DAY, "expiring", 30],
    [1000, "expiring", 1],
    [0, "expired", 0],
    [-DAY, "expired", 0]
  ] as const)("%i ms before expiry is %s with %i days left", (left, state, daysLeft) => {
    expect(licenseTiming(NOW.getTime() + left, NOW)).toEqual({ state, daysLeft })
  })
})

describe("licenseStatus", () => {
  it("without a license: community, with the documented defaults and usage against them", () => {
    const status = licenseStatus({ _tag: "None" }, NOW, usage)
    expect(status).toMatchObject({
      status: "community",
      reason: null,
      licenseId: null,
      customer: null,
      daysLeft: null,
      entitlements: { maxServices: 10, enforceMode: true, sso: false, retentionDays: 30 },
      usage: { services: { used: 12, limit: 10, exceeded: true, workspace: 3 } },
      checkedAt: NOW.toISOString()
    })
    expect(encode(status)).toEqual(status)
  })

  it("a verified license: its claims, and its entitlements over the community defaults (unknown ones kept)", () => {
    const status = licenseStatus(verified(claims(100 * DAY, { maxServices: 50, sso: true, supportTier: "gold" })), NOW, usage)
    expect(status).toMatchObject({
      status: "active",
      licenseId: "lic-1",
      customer: "Acme",
      plan: "enterprise",
      expiresAt: new Date(seconds(new Date(NOW.getTime() + 100 * DAY)) * 1000).toISOString(),
      daysLeft: 100,
      entitlements: { maxServices: 50, enforceMode: true, sso: true, retentionDays: 30, supportTier: "gold" },
      usage: { services: { used: 12, limit: 50, exceeded: false, workspace: 3 } }
    })
    expect(encode(status)).toEqual(status)
  })

  it("expiring keeps the license's entitlements; expired falls back to community but still says whose it was", () => {
    const expiring = licenseStatus(verified(claims(5 * DAY, { maxServices: 50 })), NOW, usage)
    expect(expiring).toMatchObject({ status: "expiring", daysLeft: 5, entitlements: { maxServices: 50 } })
    const expired = licenseStatus(verified(claims(-DAY, { maxServices: 50 })), NOW, usage)
    expect(expired).toMatchObject({ status: "expired", daysLeft: 0, customer: "Acme", entitlements: COMMUNITY_ENTITLEMENTS })
  })

  it("invalid: the reason, community entitlements, and nothing from the unverified document", () => {
    const status = licenseStatus({ _tag: "Invalid", reason: "license.signature_invalid", installedAt: NOW.toISOString() }, NOW, {
      installation: 1,
      workspace: undefined
    })
    expect(status).toMatchObject({
      status: "invalid",
      reason: { code: "license.signature_invalid" },
      licenseId: null,
      customer: null,
      plan: null,
      expiresAt: null,
      installedAt: NOW.toISOString(),
      entitlements: COMMUNITY_ENTITLEMENTS,
      usage: { services: { used: 1, limit: 10, exceeded: false, workspace: null } }
    })
  })
})
