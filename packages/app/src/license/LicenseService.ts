import { LicenseInvalidReasons, LicenseStore, licenseStatus } from "@releasepassport/core"
import type { InstalledLicense, LicenseCheck, LicenseStatus, StoreUnavailable } from "@releasepassport/core"
import { Clock, Context, Effect, Layer, Schedule } from "effect"
import { LicenseConfig } from "../AppConfig.ts"
import { LicenseKeyError, loadPublicKey, verifyLicense } from "./LicenseDocument.ts"
import type { LicenseVerification } from "./LicenseDocument.ts"

/** The configured public key, as far as it could be loaded. */
export type PublicKeyState =
  | { readonly _tag: "NotConfigured" }
  | { readonly _tag: "Ready"; readonly key: CryptoKey }
  | { readonly _tag: "Unusable"; readonly message: string }

/** Loads the configured key once; a key that cannot be used is a state to report, never a crash. */
export const loadPublicKeyState = (config: string | undefined): Effect.Effect<PublicKeyState> =>
  config === undefined || config.trim() === ""
    ? Effect.succeed({ _tag: "NotConfigured" })
    : Effect.tryPromise({
      try: () => loadPublicKey(config),
      catch: (error) => (error instanceof LicenseKeyError ? error.message : "the license public key cannot be used")
    }).pipe(
      Effect.map((key): PublicKeyState => ({ _tag: "Ready", key })),
      Effect.catch((message) => Effect.succeed<PublicKeyState>({ _tag: "Unusable", message }))
    )

/** What the installed license is worth against the key, with a one-entry cache: the document rarely changes. */
export const makeLicenseChecker = (key: PublicKeyState) => {
  let cached: { readonly document: string; readonly verification: LicenseVerification } | undefined
  const verify = (document: string): Effect.Effect<LicenseVerification> => {
    if (key._tag !== "Ready") return Effect.succeed({ _tag: "Invalid", reason: LicenseInvalidReasons.noPublicKey })
    if (cached?.document === document) return Effect.succeed(cached.verification)
    return Effect.promise(() => verifyLicense(document, key.key)).pipe(
      Effect.tap((verification) => Effect.sync(() => (cached = { document, verification })))
    )
  }
  return (installed: { readonly license: InstalledLicense; readonly document: string } | undefined): Effect.Effect<LicenseCheck> => {
    if (installed === undefined) return Effect.succeed({ _tag: "None" })
    const installedAt = installed.license.installedAt
    if (key._tag === "NotConfigured") {
      return Effect.succeed({ _tag: "Invalid", reason: LicenseInvalidReasons.noPublicKey, installedAt })
    }
    if (key._tag === "Unusable") {
      return Effect.succeed({ _tag: "Invalid", reason: LicenseInvalidReasons.publicKeyUnusable, installedAt })
    }
    return verify(installed.document).pipe(
      Effect.map((verification): LicenseCheck =>
        verification._tag === "Verified"
          ? { _tag: "Verified", claims: verification.claims, installedAt }
          : { _tag: "Invalid", reason: verification.reason, installedAt }
      )
    )
  }
}

/** The status of the installed license, for any asker; optionally counted for one workspace. */
export const computeLicenseStatus = (
  check: (installed: { readonly license: InstalledLicense; readonly document: string } | undefined) => Effect.Effect<LicenseCheck>,
  input: { readonly workspaceId?: string | undefined }
) =>
  Effect.gen(function*() {
    const licenses = yield* LicenseStore
    const verdict = yield* check(yield* licenses.current)
    const installation = yield* licenses.countServices({})
    const workspace = input.workspaceId === undefined
      ? undefined
      : yield* licenses.countServices({ workspaceId: input.workspaceId })
    const now = new Date(yield* Clock.currentTimeMillis)
    return licenseStatus(verdict, now, { installation, workspace })
  })

const DAY_MS = 86_400_000
/** How often the server looks at the license by itself, so that a problem is logged even if nobody asks. */
const CHECK_EVERY = "1 hour"

/**
 * The license as the server sees it. Never on the gate path: a missing, expired or invalid
 * license changes no verdict and blocks no deploy. Problems (expiring, expired, invalid)
 * are logged at most once a day per state, however many requests ask.
 */
export class LicenseService extends Context.Service<LicenseService, {
  readonly status: (input: { readonly workspaceId?: string | undefined }) => Effect.Effect<LicenseStatus, StoreUnavailable>
}>()("@releasepassport/app/LicenseService") {
  static readonly layer = Layer.effect(
    LicenseService,
    Effect.gen(function*() {
      const config = yield* LicenseConfig
      const licenses = yield* LicenseStore
      const key = yield* loadPublicKeyState(config.publicKey)
      const check = makeLicenseChecker(key)
      const lastLogged = new Map<string, number>()

      const report = (status: LicenseStatus) =>
        Effect.gen(function*() {
          if (status.status === "active" || status.status === "community") return
          const now = yield* Clock.currentTimeMillis
          const key = `${status.status}|${status.reason?.code ?? ""}|${status.licenseId ?? ""}`
          const last = lastLogged.get(key)
          if (last !== undefined && now - last < DAY_MS) return
          lastLogged.set(key, now)
          const annotations: Record<string, unknown> = { license_status: status.status }
          if (status.licenseId !== null) annotations["license_id"] = status.licenseId
          if (status.reason !== null) annotations["reason"] = status.reason.code
          if (status.expiresAt !== null) annotations["expires_at"] = status.expiresAt
          if (status.daysLeft !== null) annotations["days_left"] = status.daysLeft
          const message = status.status === "expiring"
            ? `license ${status.licenseId} for ${status.customer} expires in ${status.daysLeft} day(s), on ${status.expiresAt}`
            : status.status === "expired"
            ? `license ${status.licenseId} for ${status.customer} expired on ${status.expiresAt}; community entitlements apply (gates are not affected)`
            : `the installed license is invalid (${status.reason?.code}): ${status.reason?.message} Community entitlements apply (gates are not affected)`
          yield* Effect.logWarning(message).pipe(Effect.annotateLogs(annotations))
        })

      const status = (input: { readonly workspaceId?: string | undefined }) =>
        computeLicenseStatus(check, input).pipe(
          Effect.provideService(LicenseStore, licenses),
          Effect.tap(report)
        )

      if (key._tag === "Unusable") yield* Effect.logError(`license public key: ${key.message}`)
      // Checked at start and then hourly, so problems reach the log without anyone asking.
      // A database outage only skips a check; the next one tries again.
      yield* status({}).pipe(
        Effect.ignore,
        Effect.repeat(Schedule.spaced(CHECK_EVERY)),
        Effect.forkScoped
      )
      return LicenseService.of({ status })
    })
  )
}
