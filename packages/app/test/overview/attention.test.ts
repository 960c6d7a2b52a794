import { LicenseInvalidReasons, licenseStatus } from "@releasepassport/core"
import type { LicenseCheck } from "@releasepassport/core"
import { describe, expect, it } from "vitest"
import { attentionOf } from "../../src/overview/Overview.ts"
import type { IntegrationList } from "../../src/integrations/ConnectorView.ts"
import type { PassportOverviewView } from "../../src/passports/PassportSchemas.ts"

const NOW = new Date("2026-12-01T12:00:00.000Z")
const usage = { installation: 1, workspace: 1 }
const license = (check: LicenseCheck) => licenseStatus(check, NOW, usage)
const verified = (daysLeft: number): LicenseCheck => ({
  _tag: "Verified",
  claims: { jti: "lic-1", customer: "Acme", plan: "team", iat: NOW.getTime() / 1000 - 86_400, exp: NOW.getTime() / 1000 + daysLeft * 86_400 },
  installedAt: NOW.toISOString()
})

const blocked = {
  passportId: "pp_1",
  service: { name: "payments-api", namespace: "apps" },
  releaseId: "r1",
  environment: "production",
  mode: "enforce" as const,
  verdict: "fail" as const,
  evaluatedAt: NOW.toISOString(),
  reason: "blocked" as const
}
const passports = (attention: PassportOverviewView["attention"]): PassportOverviewView => ({ environments: [], days: [], recent: [], attention })

const connector = (source: string, freshness: IntegrationList["connectors"][number]["freshness"]): IntegrationList["connectors"][number] => ({
  source,
  displayName: source === "argo" ? "Argo Rollouts" : null,
  declared: true,
  expectedIntervalSeconds: 3600,
  freshness,
  lastSeenAt: freshness === "never_seen" ? null : "2026-11-30T00:00:00.000Z",
  lastBatch: null,
  itemsLast24h: 0,
  rejectedLast24h: 0,
  rejectedTotal: 0,
  environments: []
})
const connectors = (...list: Array<IntegrationList["connectors"][number]>): IntegrationList => ({ connectors: list, checkedAt: NOW.toISOString() })

describe("what needs attention on the overview", () => {
  it("nothing when verdicts pass, connectors are fresh or not yet seen, and the license is fine", () => {
    expect(attentionOf(passports([]), connectors(connector("ci", "fresh"), connector("argo", "never_seen")), license({ _tag: "None" }))).toEqual([])
    expect(attentionOf(passports([]), connectors(), license(verified(200)))).toEqual([])
  })

  it("verdicts first, then stale and silent connectors, then the license", () => {
    const items = attentionOf(
      passports([blocked]),
      connectors(connector("ci", "fresh"), connector("argo", "stale"), connector("scanner", "silent")),
      license(verified(5))
    )
    expect(items).toEqual([
      { _tag: "Verdict", ...blocked },
      { _tag: "Connector", source: "argo", displayName: "Argo Rollouts", freshness: "stale", lastSeenAt: "2026-11-30T00:00:00.000Z" },
      { _tag: "Connector", source: "scanner", displayName: null, freshness: "silent", lastSeenAt: "2026-11-30T00:00:00.000Z" },
      { _tag: "License", status: "expiring", daysLeft: 5 }
    ])
  })

  it("an expired or invalid license is named, without days", () => {
    expect(attentionOf(passports([]), connectors(), license(verified(-1)))).toEqual([{ _tag: "License", status: "expired", daysLeft: null }])
    const invalid = license({ _tag: "Invalid", reason: LicenseInvalidReasons.malformed, installedAt: NOW.toISOString() })
    expect(attentionOf(passports([]), connectors(), invalid)).toEqual([{ _tag: "License", status: "invalid", daysLeft: null }])
  })
})
