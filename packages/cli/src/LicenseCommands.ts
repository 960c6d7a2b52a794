import { LicenseClaims, LicenseStore, licenseTiming } from "@releasepassport/core"
import type { EntitlementValue, LicenseStatus } from "@releasepassport/core"
import { Clock, Config, Console, Effect, Option, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { randomUUID } from "node:crypto"
import { existsSync } from "node:fs"
import { mkdir, open, readFile } from "node:fs/promises"
import path from "node:path"
import { text } from "node:stream/consumers"
import { databaseFlag, fail, parseDuration, storesFor } from "./common.ts"

export const PRIVATE_KEY_FILE = "license-private.pem"
export const PUBLIC_KEY_FILE = "license-public.pem"

/** `--license-public-key`, else `RELEASEPASSPORT_LICENSE_PUBLIC_KEY`: a path, or PEM or JWK text. */
export const licensePublicKeyFlag = Flag.String("license-public-key").pipe(
  Flag.withDescription(
    "Public key that licenses are verified with: a file path (PEM or JWK), or the PEM or JWK text itself. " +
      "Env: RELEASEPASSPORT_LICENSE_PUBLIC_KEY"
  ),
  Flag.withFallbackConfig(Config.String("RELEASEPASSPORT_LICENSE_PUBLIC_KEY")),
  Flag.optional
)

/** `PORT`, `HOST:PORT` or `[IPv6]:PORT`; a bare port listens on loopback. */
export const parseListenAddress = (value: string): { readonly host: string; readonly port: number } | undefined => {
  const match = /^(?:(\[[0-9a-fA-F:.]+\]|[^:[\]]+):)?(\d{1,5})$/.exec(value.trim())
  if (match === null) return undefined
  const port = Number(match[2])
  if (port > 65535) return undefined
  const host = match[1] === undefined ? "127.0.0.1" : match[1].replace(/^\[(.*)\]$/, "$1")
  return { host, port }
}

export const licenseStatusListenerFlag = Flag.String("license-status-listener").pipe(
  Flag.withDescription(
    "Also answer GET /releasepassport/v1/license/status WITHOUT authentication on this address (PORT, HOST:PORT, " +
      "[IPv6]:PORT; a bare port is 127.0.0.1), and nothing else there. For monitoring. " +
      "Env: RELEASEPASSPORT_LICENSE_STATUS_LISTENER"
  ),
  Flag.withFallbackConfig(Config.String("RELEASEPASSPORT_LICENSE_STATUS_LISTENER")),
  Flag.optional
)

/** The license use cases (keys, signatures: jose), loaded when a license command runs, not at start-up. */
const licensing = Effect.promise(() => import("./lazy/licensing.ts"))

const someOrUndefined = <A>(option: Option.Option<A>): A | undefined => (option._tag === "Some" ? option.value : undefined)

const keyFailure = (error: unknown) =>
  Effect.flatMap(licensing, ({ LicenseKeyError }) => fail(error instanceof LicenseKeyError ? error.message : "the key cannot be used"))

// ---------------------------------------------------------------------------------------------
// keygen

const writeNew = (file: string, content: string, mode: number) =>
  Effect.tryPromise({
    try: async () => {
      // "wx": never overwrite (a lost private key cannot be re-made; a replaced one breaks every license).
      const handle = await open(file, "wx", mode)
      try {
        await handle.writeFile(content)
        await handle.chmod(mode)
      } finally {
        await handle.close()
      }
    },
    catch: (error) => (error as NodeJS.ErrnoException).code === "EEXIST"
      ? `${file} already exists; refusing to overwrite it (choose another --out-dir)`
      : `cannot write ${file} (${(error as NodeJS.ErrnoException).code ?? "error"})`
  }).pipe(Effect.catch(fail))

const keygen = Command.make(
  "keygen",
  {
    outDir: Flag.String("out-dir").pipe(Flag.withDescription("Directory for the two key files (created if missing)"))
  },
  Effect.fn(function*(flags) {
    const dir = path.resolve(flags.outDir)
    const privateFile = path.join(dir, PRIVATE_KEY_FILE)
    const publicFile = path.join(dir, PUBLIC_KEY_FILE)
    yield* Effect.tryPromise({
      try: () => mkdir(dir, { recursive: true, mode: 0o700 }),
      catch: (error) => `cannot create ${dir} (${(error as NodeJS.ErrnoException).code ?? "error"})`
    }).pipe(Effect.catch(fail))
    for (const file of [privateFile, publicFile]) {
      if (existsSync(file)) return yield* fail(`${file} already exists; refusing to overwrite it (choose another --out-dir)`)
    }
    const { generateLicenseKeyPair } = yield* licensing
    const pair = yield* Effect.promise(generateLicenseKeyPair)
    yield* writeNew(privateFile, pair.privatePem, 0o600)
    yield* writeNew(publicFile, pair.publicPem, 0o644)
    // Paths only: the private key never goes to a terminal or a CI log.
    yield* Console.log(`private key: ${privateFile}`)
    yield* Console.log(`public key:  ${publicFile}`)
    yield* Console.error(
      "Keep the private key secret and off servers: it signs licenses (license issue). " +
        "Servers get the public key (serve --license-public-key)."
    )
  })
).pipe(
  Command.withDescription(
    "Create an Ed25519 key pair for signing licenses: license-private.pem (mode 0600) and license-public.pem. " +
      "Prints the two paths, never a key. Refuses to overwrite existing files."
  ),
  Command.withExamples([{ command: "releasepassport license keygen --out-dir ./license-keys", description: "A vendor's key pair" }])
)

// ---------------------------------------------------------------------------------------------
// issue

const ENTITLEMENT_KEY = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/

/** `key=value`: true/false are booleans, numbers are numbers, anything else is text. */
const parseEntitlement = (pair: string): { readonly key: string; readonly value: EntitlementValue } | string => {
  const at = pair.indexOf("=")
  if (at <= 0) return `--entitlement must look like key=value (got "${pair}")`
  const key = pair.slice(0, at).trim()
  const raw = pair.slice(at + 1).trim()
  if (!ENTITLEMENT_KEY.test(key)) return `--entitlement key "${key}" must match ${ENTITLEMENT_KEY.source}`
  if (raw === "") return `--entitlement ${key} has no value`
  const value: EntitlementValue = raw === "true" ? true : raw === "false" ? false : /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw
  return { key, value }
}

const parseInstant = (flag: string, value: string) => {
  const ms = Date.parse(value)
  return Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}/.test(value)
    ? fail(`--${flag} must be a date or date-time such as 2027-01-31 or 2027-01-31T00:00:00Z (got "${value}")`)
    : Effect.succeed(ms)
}

const issue = Command.make(
  "issue",
  {
    privateKey: Flag.String("private-key").pipe(Flag.withDescription("The vendor's private key file (license-private.pem)")),
    customer: Flag.String("customer").pipe(Flag.withDescription("Who the license is for")),
    plan: Flag.String("plan").pipe(Flag.withDescription("Plan name, e.g. team or enterprise")),
    expiresIn: Flag.String("expires-in").pipe(
      Flag.withDescription("Validity from the issue date, e.g. 365d, 52w, 12h (or give --expires-at)"),
      Flag.optional
    ),
    expiresAt: Flag.String("expires-at").pipe(
      Flag.withDescription("Expiry as a date or RFC 3339 date-time (instead of --expires-in)"),
      Flag.optional
    ),
    issuedAt: Flag.String("issued-at").pipe(
      Flag.withDescription("Issue date, as a date or RFC 3339 date-time (default: now)"),
      Flag.optional
    ),
    entitlement: Flag.String("entitlement").pipe(
      Flag.withDescription(
        "An entitlement as key=value; repeat for several. Known: maxServices=<int>, enforceMode=<bool>, sso=<bool>, " +
          "retentionDays=<int>; others are carried and reported as given. Unset known ones take the community defaults."
      ),
      Flag.atLeast(0)
    ),
    licenseId: Flag.String("license-id").pipe(Flag.withDescription("The license's id (default: a random UUID)"), Flag.optional)
  },
  Effect.fn(function*(flags) {
    const expiresIn = someOrUndefined(flags.expiresIn)
    const expiresAt = someOrUndefined(flags.expiresAt)
    if ((expiresIn === undefined) === (expiresAt === undefined)) return yield* fail("give exactly one of --expires-in and --expires-at")
    const issuedAtFlag = someOrUndefined(flags.issuedAt)
    const issuedMs = issuedAtFlag === undefined ? yield* Clock.currentTimeMillis : yield* parseInstant("issued-at", issuedAtFlag)
    let expiresMs: number
    if (expiresIn !== undefined) {
      const lifetime = parseDuration(expiresIn)
      if (lifetime === undefined || lifetime <= 0) return yield* fail(`--expires-in must look like 365d, 52w or 12h (got "${expiresIn}")`)
      expiresMs = issuedMs + lifetime
    } else {
      expiresMs = yield* parseInstant("expires-at", expiresAt!)
    }
    if (expiresMs <= issuedMs) return yield* fail("the license must expire after it is issued")
    const entitlements: Record<string, EntitlementValue> = {}
    for (const pair of flags.entitlement) {
      const parsed = parseEntitlement(pair)
      if (typeof parsed === "string") return yield* fail(parsed)
      entitlements[parsed.key] = parsed.value
    }
    const candidate = {
      jti: someOrUndefined(flags.licenseId) ?? randomUUID(),
      customer: flags.customer.trim(),
      plan: flags.plan.trim(),
      iat: Math.floor(issuedMs / 1000),
      exp: Math.floor(expiresMs / 1000),
      ...(Object.keys(entitlements).length > 0 ? { entitlements } : {})
    }
    const claims = Schema.decodeUnknownOption(LicenseClaims)(candidate)
    if (claims._tag === "None") {
      return yield* fail(
        "not a valid license: --customer (1-200 characters) and --plan (1-100) must not be empty, and " +
          "maxServices must be an integer >= 0, retentionDays an integer >= 1, enforceMode and sso true or false"
      )
    }
    const { loadPrivateKey, signLicense } = yield* licensing
    const key = yield* Effect.tryPromise({ try: () => loadPrivateKey(flags.privateKey), catch: (error) => error }).pipe(
      Effect.catch(keyFailure)
    )
    const token = yield* Effect.promise(() => signLicense(claims.value, key))
    // The license alone on stdout, so that `$(releasepassport license issue ...) > file` captures it.
    yield* Console.log(token)
    const now = yield* Clock.currentTimeMillis
    const timing = licenseTiming(expiresMs, new Date(now))
    yield* Console.error(
      `issued license ${claims.value.jti} for ${claims.value.customer} (${claims.value.plan}), expires ` +
        `${new Date(claims.value.exp * 1000).toISOString()}` +
        (timing.state === "expired" ? " (ALREADY EXPIRED: it will not install)" : ` (${timing.daysLeft} days)`)
    )
  })
).pipe(
  Command.withDescription("Sign a license with the vendor's private key. Prints only the license (a signed token) on stdout."),
  Command.withExamples([{
    command:
      "releasepassport license issue --private-key ./license-keys/license-private.pem --customer 'Acme Corp' --plan enterprise " +
      "--expires-in 365d --entitlement maxServices=50 --entitlement sso=true > acme.license",
    description: "A one-year enterprise license for 50 services"
  }])
)

// ---------------------------------------------------------------------------------------------
// install

const MAX_LICENSE_FILE_BYTES = 64 * 1024

const readLicenseFile = (file: string) =>
  Effect.tryPromise({
    try: async () => {
      const content = file === "-" ? await text(process.stdin) : await readFile(file, "utf8")
      if (content.length > MAX_LICENSE_FILE_BYTES) throw new Error("too large")
      return content.trim()
    },
    catch: (error) =>
      (error as Error).message === "too large"
        ? `${file} is too large to be a license`
        : `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "error"})`
  }).pipe(Effect.catch(fail))

const requirePublicKey = (config: Option.Option<string>) =>
  Effect.gen(function*() {
    const key = yield* (yield* licensing).loadPublicKeyState(someOrUndefined(config))
    if (key._tag === "NotConfigured") {
      return yield* fail(
        "no license public key: give the one the server uses (--license-public-key or RELEASEPASSPORT_LICENSE_PUBLIC_KEY), " +
          "so that a license is checked before it is installed"
      )
    }
    if (key._tag === "Unusable") return yield* fail(key.message)
    return key.key
  })

const install = Command.make(
  "install",
  {
    database: databaseFlag,
    publicKey: licensePublicKeyFlag,
    file: Argument.String("file").pipe(Argument.withDescription("The license file (- reads stdin)"))
  },
  Effect.fn(function*(flags) {
    const key = yield* requirePublicKey(flags.publicKey)
    const document = yield* readLicenseFile(flags.file)
    // Checked before anything is written: a license that would not count changes nothing.
    const { verifyLicense } = yield* licensing
    const verification = yield* Effect.promise(() => verifyLicense(document, key))
    if (verification._tag === "Invalid") {
      return yield* fail(`refused: ${verification.reason} (${invalidHint[verification.reason] ?? "not a valid license"}); nothing was installed`)
    }
    const { claims } = verification
    const now = yield* Clock.currentTimeMillis
    const timing = licenseTiming(claims.exp * 1000, new Date(now))
    const expiresAt = new Date(claims.exp * 1000).toISOString()
    if (timing.state === "expired") {
      return yield* fail(`refused: license ${claims.jti} expired on ${expiresAt}; nothing was installed`)
    }
    return yield* Effect.gen(function*() {
      const installed = yield* (yield* LicenseStore).install({
        licenseId: claims.jti,
        customer: claims.customer,
        plan: claims.plan,
        expiresAt: new Date(claims.exp * 1000),
        document,
        now: new Date(now)
      })
      yield* Console.log(
        `installed license ${claims.jti} for ${claims.customer} (${claims.plan}), expires ${expiresAt} ` +
          `(${timing.daysLeft} days${timing.state === "expiring" ? ": renew soon" : ""}) as ${installed.id}`
      )
    }).pipe(Effect.provide(storesFor(flags.database)))
  })
).pipe(
  Command.withDescription(
    "Install a license: it is verified with the public key first (the one the server uses) and refused, changing " +
      "nothing, if it does not verify, is not a license, or has expired. The latest installed is in force; older ones are kept."
  ),
  Command.withExamples([{
    command: "releasepassport license install --license-public-key /etc/releasepassport/license-public.pem acme.license",
    description: "Install the license the vendor sent"
  }])
)

const invalidHint: Record<string, string> = {
  "license.malformed": "not a signed license document",
  "license.signature_invalid": "its signature does not verify with this public key: altered, or signed by another key",
  "license.claims_invalid": "signed, but not a valid license"
}

// ---------------------------------------------------------------------------------------------
// status

const formatStatus = (status: LicenseStatus): string => {
  const lines = [`status:        ${status.status}`]
  if (status.reason !== null) lines.push(`reason:        ${status.reason.code}: ${status.reason.message}`)
  if (status.licenseId !== null) {
    lines.push(
      `license:       ${status.licenseId}`,
      `customer:      ${status.customer}`,
      `plan:          ${status.plan}`,
      `issued:        ${status.issuedAt}`,
      `expires:       ${status.expiresAt} (${status.daysLeft} days left)`
    )
  }
  if (status.installedAt !== null) lines.push(`installed:     ${status.installedAt}`)
  const services = status.usage.services
  lines.push(
    `entitlements:  ${Object.entries(status.entitlements).map(([k, v]) => `${k}=${v}`).join(" ")}`,
    `services:      ${services.used} of ${services.limit}${services.exceeded ? " (over the limit; gates are not affected)" : ""}`
  )
  return lines.join("\n")
}

const status = Command.make(
  "status",
  {
    database: databaseFlag,
    publicKey: licensePublicKeyFlag,
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print the JSON the API answers"), Flag.withDefault(false))
  },
  Effect.fn(function*(flags) {
    const { computeLicenseStatus, loadPublicKeyState, makeLicenseChecker } = yield* licensing
    const key = yield* loadPublicKeyState(someOrUndefined(flags.publicKey))
    if (key._tag === "Unusable") yield* Console.error(`warning: ${key.message}`)
    return yield* Effect.gen(function*() {
      const answer = yield* computeLicenseStatus(makeLicenseChecker(key), {})
      yield* Console.log(flags.json ? JSON.stringify(answer, null, 2) : formatStatus(answer))
    }).pipe(Effect.provide(storesFor(flags.database)))
  })
).pipe(
  Command.withDescription(
    "Show the license status as the server would answer it (over the whole installation): never the license or a key."
  )
)

export const licenseCommand = Command.make("license").pipe(
  Command.withDescription(
    "Licenses: install and check them (operators); keygen and issue make keys and licenses (vendors, tests). " +
      "A license problem never blocks a gate."
  ),
  Command.withSubcommands([install, status, keygen, issue])
)
