import { Context } from "effect"

/** What the accounts use cases are configured with: session lifetimes and sign-in throttling. */
export interface SessionPolicyShape {
  /** A console session ends after this long without a request... */
  readonly sessionIdleTimeoutMs: number
  /** ...and this long after sign-in, however active it is. */
  readonly sessionAbsoluteTimeoutMs: number
  /** Failed sign-ins per account within one window before the account is locked for a window. */
  readonly loginMaxFailuresPerAccount: number
  /** Failed sign-ins per client address (IPv4, or IPv6 /64) within one window before it is locked. */
  readonly loginMaxFailuresPerAddress: number
  readonly loginThrottleWindowMs: number
}

export class SessionPolicy extends Context.Service<SessionPolicy, SessionPolicyShape>()("@releasepassport/app/SessionPolicy") {}

/** The public key installed licenses are verified with (PEM or JWK text, or a file path); unset: none. */
export class LicenseConfig extends Context.Service<LicenseConfig, { readonly publicKey: string | undefined }>()(
  "@releasepassport/app/LicenseConfig"
) {}
