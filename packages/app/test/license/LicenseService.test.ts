import { it } from "@effect/vitest"
import { LicenseStore } from "@releasepassport/core"
import type { InstalledLicense } from "@releasepassport/core"
import { Effect, Layer, Logger } from "effect"
import { TestClock } from "effect/testing"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { describe, expect } from "vitest"
import { generateLicenseKeyPair, loadPrivateKey, signLicense } from "../../src/license/LicenseDocument.ts"
import { LicenseService } from "../../src/license/LicenseService.ts"
import { LicenseConfig } from "../../src/AppConfig.ts"

/**
 * The license service on a clock the test controls: problems are logged at most once a day
 * per state, whether the hourly check or requests find them, and never the document.
 */
const NOW = Date.parse("2026-11-28T12:00:00.000Z")
/** Lets real work finish (signature checks are real promises, outside the test clock). */
const settle = Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 25)))

const installed = (document: string): { license: InstalledLicense; document: string } => ({
  license: {
    id: "lic_1",
    licenseId: "x",
    customer: "x",
    plan: "x",
    expiresAt: new Date(NOW).toISOString(),
    installedAt: new Date(NOW).toISOString()
  },
  document
})

describe("LicenseService", () => {
  it.effect("logs an expired license once a day, not per request or per hourly check; a new state logs at once", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const pair = yield* Effect.promise(generateLicenseKeyPair)
      const dir = mkdtempSync(path.join(tmpdir(), "rp-license-service-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
      writeFileSync(path.join(dir, "private.pem"), pair.privatePem)
      const expired = yield* Effect.promise(async () =>
        signLicense(
          { jti: "lic-expired", customer: "Acme", plan: "team", iat: 1_700_000_000, exp: 1_735_000_000 },
          await loadPrivateKey(path.join(dir, "private.pem"))
        )
      )
      let current = installed(expired)
      const lines: Array<{ level: string; text: string }> = []
      const store = Layer.succeed(LicenseStore, {
        install: () => Effect.die("unused"),
        current: Effect.sync(() => current),
        history: Effect.succeed([]),
        countServices: () => Effect.succeed(0)
      })
      const config = Layer.succeed(LicenseConfig, { publicKey: pair.publicPem })
      const logs = Logger.layer([Logger.make((options) => lines.push({ level: options.logLevel, text: JSON.stringify(options.message) }))])
      const warnings = () => lines.filter((line) => line.level === "Warn")

      yield* Effect.gen(function*() {
        const license = yield* LicenseService
        // The check at start runs in the background.
        yield* settle
        expect(warnings()).toHaveLength(1)
        expect(warnings()[0]!.text).toContain("lic-expired")
        for (let i = 0; i < 5; i++) expect((yield* license.status({})).status).toBe("expired")
        yield* TestClock.adjust("23 hours")
        yield* settle
        expect(warnings()).toHaveLength(1)
        yield* TestClock.adjust("1 hour")
        yield* settle
        expect(warnings()).toHaveLength(2)

        current = installed(`${expired.split(".").slice(0, 2).join(".")}.AAAA`)
        expect((yield* license.status({})).status).toBe("invalid")
        expect(warnings()).toHaveLength(3)
        expect(warnings()[2]!.text).toContain("license.signature_invalid")
        yield* TestClock.adjust("5 hours")
        yield* settle
        expect(warnings()).toHaveLength(3)
        for (const line of lines) expect(line.text).not.toContain(expired.split(".")[2]!)
      }).pipe(Effect.provide(LicenseService.layer.pipe(Layer.provide([store, config]))), Effect.provide(logs))
    }))
})
