import { Context } from "effect"
import type { Effect } from "effect"
import type { StoreUnavailable } from "../errors.ts"

/**
 * One installation of a license document. The facts beside the document (license id,
 * customer, plan, expiry) were read from it when it was installed, for the history; the
 * status is always decided by verifying the document itself again, so an edited row or a
 * changed public key cannot make a license look better than it is.
 */
export interface InstalledLicense {
  /** This installation (`lic_…`). */
  readonly id: string
  /** The license's own id (its `jti`). */
  readonly licenseId: string
  readonly customer: string
  readonly plan: string
  readonly expiresAt: string
  readonly installedAt: string
}

export class LicenseStore extends Context.Service<LicenseStore, {
  /** Records an installation; the newest installation is the license in force. Never edits older ones. */
  readonly install: (input: {
    readonly licenseId: string
    readonly customer: string
    readonly plan: string
    readonly expiresAt: Date
    /** The signed document as installed (compact JWS); already verified by the caller. */
    readonly document: string
    readonly now: Date
  }) => Effect.Effect<InstalledLicense, StoreUnavailable>
  /** The license in force (the latest installation) with its document; undefined when none was ever installed. */
  readonly current: Effect.Effect<
    { readonly license: InstalledLicense; readonly document: string } | undefined,
    StoreUnavailable
  >
  /** Every installation, newest first, without documents. */
  readonly history: Effect.Effect<ReadonlyArray<InstalledLicense>, StoreUnavailable>
  /**
   * Distinct services (namespace + name) that have a passport: across the installation, or
   * in one workspace. This is what `maxServices` is measured against.
   */
  readonly countServices: (input: { readonly workspaceId?: string }) => Effect.Effect<number, StoreUnavailable>
}>()("@releasepassport/core/ports/LicenseStore") {}
