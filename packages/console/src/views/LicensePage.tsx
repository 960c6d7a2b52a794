import type { LicenseStatus } from "@releasepassport/core"
import type { Visit } from "../ConsoleAuth.ts"
import { Section, When } from "./Format.tsx"
import type { Assets } from "./Layout.tsx"
import { Layout } from "./Layout.tsx"

/** The license as the API reports it: status and entitlements, never key material. */
export const LicensePage = ({ visit, assets, license }: {
  readonly visit: Visit
  readonly assets: Assets
  readonly license: LicenseStatus
}) => (
  <Layout visit={visit} assets={assets} title="License" active="license">
    <dl class="identity">
      <dt>Status</dt><dd data-testid="license-status">{license.status}</dd>
      {license.reason !== null ? <><dt>Why</dt><dd>{license.reason.message}</dd></> : null}
      <dt>License</dt><dd>{license.licenseId ?? "none"}</dd>
      <dt>Customer</dt><dd>{license.customer ?? "—"}</dd>
      <dt>Plan</dt><dd>{license.plan ?? "community"}</dd>
      <dt>Expires</dt><dd>{license.expiresAt === null ? "—" : <><When iso={license.expiresAt} now={visit.now} /> ({license.daysLeft} days left)</>}</dd>
      <dt>Services</dt><dd>{license.usage.services.used} of {license.usage.services.limit}{license.usage.services.exceeded ? " (limit exceeded)" : ""}</dd>
    </dl>
    {license.status === "expiring" || license.status === "expired" || license.status === "invalid" || license.usage.services.exceeded
      ? <p class="problem" role="alert">{license.status === "expiring" ? `The license expires in ${license.daysLeft} day(s).` : license.status === "expired" ? "The license has expired; community entitlements apply (gates are not affected)." : license.status === "invalid" ? "The installed license is not valid; community entitlements apply." : "More services than the license allows."}</p>
      : null}
    <Section title="Entitlements">
      <table>
        <thead><tr><th scope="col">Entitlement</th><th scope="col">Value</th></tr></thead>
        <tbody>
          {Object.entries(license.entitlements).map(([name, value]) => <tr><td>{name}</td><td>{String(value)}</td></tr>)}
        </tbody>
      </table>
    </Section>
  </Layout>
)
