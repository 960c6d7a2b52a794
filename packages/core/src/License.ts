import { Schema } from "effect"

/**
 * Licensing, as values. A license is a signed document (verified by the server, which owns
 * the crypto); here are its claims, the entitlements it grants, and the pure function that
 * turns "what was verified" plus the clock and usage into the status the API answers.
 *
 * Nothing here ever blocks a gate: deploys do not stop over billing. Entitlements are
 * reported and compared to usage, never enforced on the gate path.
 */

/** How many days before expiry a license counts as `expiring`. */
export const LICENSE_EXPIRING_DAYS = 30

/** The JWS `typ` header of a license, so that no other JWT signed by the same key passes as one. */
export const LICENSE_TYPE = "releasepassport-license+jwt"

export const LicenseStates = ["active", "expiring", "expired", "invalid", "community"] as const
export const LicenseState = Schema.Literals(LicenseStates)
export type LicenseState = typeof LicenseState.Type

/** An entitlement's value: what `--entitlement key=value` can say. */
export const EntitlementValue = Schema.Union([Schema.String, Schema.Finite, Schema.Boolean])
export type EntitlementValue = typeof EntitlementValue.Type

const NonNegativeInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const PositiveInt = Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))

/** The entitlements the product knows, with their types. */
export const KnownEntitlements = {
  /** Distinct services (namespace + name) across the installation's passports. */
  maxServices: NonNegativeInt,
  /** Whether gates may run in `enforce` mode. */
  enforceMode: Schema.Boolean,
  /** Single sign-on for the console. */
  sso: Schema.Boolean,
  /** How long passports and evidence are kept. */
  retentionDays: PositiveInt
}
export type KnownEntitlement = keyof typeof KnownEntitlements

/** Entitlements in effect: every known one, plus any others a license carries (kept, reported). */
export const Entitlements = Schema.StructWithRest(Schema.Struct(KnownEntitlements), [
  Schema.Record(Schema.String, EntitlementValue)
])
export type Entitlements = typeof Entitlements.Type

/** What a license may grant: any subset of the known ones (the rest default to community), plus others. */
export const GrantedEntitlements = Schema.StructWithRest(
  Schema.Struct({
    maxServices: Schema.optionalKey(NonNegativeInt),
    enforceMode: Schema.optionalKey(Schema.Boolean),
    sso: Schema.optionalKey(Schema.Boolean),
    retentionDays: Schema.optionalKey(PositiveInt)
  }),
  [Schema.Record(Schema.String, EntitlementValue)]
)
export type GrantedEntitlements = typeof GrantedEntitlements.Type

/**
 * Without a license (or when it is expired or invalid): enforce mode stays available,
 * since failing closed is the point of a gate; 10 services, 30 days of retention, no SSO.
 */
export const COMMUNITY_ENTITLEMENTS: Entitlements = {
  maxServices: 10,
  enforceMode: true,
  sso: false,
  retentionDays: 30
}

const Text = (max: number) => Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(max))

/** The signed claims of a license (the JWT payload). Times are seconds since the epoch (JWT). */
export const LicenseClaims = Schema.Struct({
  /** The license id. */
  jti: Text(200),
  customer: Text(200),
  plan: Text(100),
  iat: Schema.Int,
  exp: Schema.Int,
  entitlements: Schema.optionalKey(GrantedEntitlements)
})
export type LicenseClaims = typeof LicenseClaims.Type

/** Why a license does not count: stable codes, also in logs. */
export const LicenseInvalidReasons = {
  /** Not a compact JWS at all (truncated, edited, not base64url, not JSON). */
  malformed: "license.malformed",
  /** The signature does not verify with the configured public key (tampered, or signed by another key). */
  signatureInvalid: "license.signature_invalid",
  /** Signed, but not a license: wrong `typ`, missing or ill-typed claims, expiry before issue. */
  claimsInvalid: "license.claims_invalid",
  /** A license is installed but the server has no public key to verify it with. */
  noPublicKey: "license.no_public_key",
  /** The configured public key cannot be read or is not an Ed25519 public key. */
  publicKeyUnusable: "license.public_key_unusable"
} as const
export type LicenseInvalidReason = (typeof LicenseInvalidReasons)[keyof typeof LicenseInvalidReasons]

const reasonMessages: Record<LicenseInvalidReason, string> = {
  "license.malformed": "The installed license is not a well-formed signed document.",
  "license.signature_invalid": "The installed license's signature does not verify with the configured public key.",
  "license.claims_invalid": "The installed license is signed but its contents are not a valid license.",
  "license.no_public_key": "A license is installed but no public key is configured to verify it (--license-public-key).",
  "license.public_key_unusable": "The configured license public key cannot be used (not an Ed25519 public key, or unreadable)."
}

/** What verifying the installed license found. */
export type LicenseCheck =
  | { readonly _tag: "None" }
  | { readonly _tag: "Verified"; readonly claims: LicenseClaims; readonly installedAt: string }
  | { readonly _tag: "Invalid"; readonly reason: LicenseInvalidReason; readonly installedAt: string | null }

/** Services seen, counted from passports: the whole installation, and the asking workspace. */
export interface ServiceUsage {
  readonly installation: number
  /** undefined when the question is not asked from a workspace (the internal listener, the CLI). */
  readonly workspace: number | undefined
}

/** The answer of `GET /license/status`: never the document, its signature or a key. */
export const LicenseStatus = Schema.Struct({
  status: LicenseState,
  /** Why the license does not count (`invalid` only); null otherwise. */
  reason: Schema.NullOr(Schema.Struct({ code: Schema.String, message: Schema.String })),
  /** The license's own id; null without a verified license. */
  licenseId: Schema.NullOr(Schema.String),
  customer: Schema.NullOr(Schema.String),
  plan: Schema.NullOr(Schema.String),
  issuedAt: Schema.NullOr(Schema.String),
  expiresAt: Schema.NullOr(Schema.String),
  /** Whole days until expiry, rounded up; 0 once expired; null without a verified license. */
  daysLeft: Schema.NullOr(Schema.Int),
  /** When the license now in force (or refused) was installed; null when none is. */
  installedAt: Schema.NullOr(Schema.String),
  /** What applies now: the license's while active or expiring, else the community defaults. */
  entitlements: Entitlements,
  usage: Schema.Struct({
    services: Schema.Struct({
      /** Distinct services (namespace + name) across the installation's passports. */
      used: Schema.Int,
      limit: Schema.Int,
      exceeded: Schema.Boolean,
      /** Of those, in the asking workspace; null when not asked from a workspace. */
      workspace: Schema.NullOr(Schema.Int)
    })
  }),
  checkedAt: Schema.String
})
export type LicenseStatus = typeof LicenseStatus.Type

const DAY_MS = 86_400_000

/** Active, expiring or expired from a verified license's expiry. */
export const licenseTiming = (expiresAtMs: number, now: Date): { readonly state: "active" | "expiring" | "expired"; readonly daysLeft: number } => {
  const leftMs = expiresAtMs - now.getTime()
  if (leftMs <= 0) return { state: "expired", daysLeft: 0 }
  const daysLeft = Math.ceil(leftMs / DAY_MS)
  return { state: leftMs <= LICENSE_EXPIRING_DAYS * DAY_MS ? "expiring" : "active", daysLeft }
}

/** A license's grant over the community defaults. */
export const effectiveEntitlements = (granted: GrantedEntitlements | undefined): Entitlements => ({
  ...COMMUNITY_ENTITLEMENTS,
  ...granted
}) as Entitlements

/** The status answer, built from what verification found, the clock and the usage. */
export const licenseStatus = (check: LicenseCheck, now: Date, usage: ServiceUsage): LicenseStatus => {
  const base = {
    reason: null,
    licenseId: null,
    customer: null,
    plan: null,
    issuedAt: null,
    expiresAt: null,
    daysLeft: null,
    installedAt: null
  }
  const checkedAt = now.toISOString()
  const withUsage = (entitlements: Entitlements) => ({
    entitlements,
    usage: {
      services: {
        used: usage.installation,
        limit: entitlements.maxServices,
        exceeded: usage.installation > entitlements.maxServices,
        workspace: usage.workspace ?? null
      }
    }
  })
  switch (check._tag) {
    case "None":
      return { status: "community", ...base, ...withUsage(COMMUNITY_ENTITLEMENTS), checkedAt }
    case "Invalid":
      // Nothing of an unverified document is repeated: its claims may be forged.
      return {
        status: "invalid",
        ...base,
        reason: { code: check.reason, message: reasonMessages[check.reason] },
        installedAt: check.installedAt,
        ...withUsage(COMMUNITY_ENTITLEMENTS),
        checkedAt
      }
    case "Verified": {
      const { claims } = check
      const timing = licenseTiming(claims.exp * 1000, now)
      return {
        status: timing.state,
        ...base,
        licenseId: claims.jti,
        customer: claims.customer,
        plan: claims.plan,
        issuedAt: new Date(claims.iat * 1000).toISOString(),
        expiresAt: new Date(claims.exp * 1000).toISOString(),
        daysLeft: timing.daysLeft,
        installedAt: check.installedAt,
        ...withUsage(timing.state === "expired" ? COMMUNITY_ENTITLEMENTS : effectiveEntitlements(claims.entitlements)),
        checkedAt
      }
    }
  }
}
