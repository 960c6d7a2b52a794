import { Config, Effect, Result } from "effect"
import { Flag } from "effect/cli"
import type { ServerConfigShape } from "@releasepassport/server"
import { fail, parseDuration } from "./common.ts"

/** `serve` flags for console sessions and sign-in throttling. */
export const consoleAuthFlags = {
  idleTimeout: Flag.String("session-idle-timeout").pipe(
    Flag.withDescription("A console session ends after this long without a request, e.g. 30m. Env: RELEASEPASSPORT_SESSION_IDLE_TIMEOUT"),
    Flag.withFallbackConfig(Config.String("RELEASEPASSPORT_SESSION_IDLE_TIMEOUT")),
    Flag.withDefault("30m")
  ),
  absoluteTimeout: Flag.String("session-absolute-timeout").pipe(
    Flag.withDescription("A console session ends this long after sign-in, however active, e.g. 12h. Env: RELEASEPASSPORT_SESSION_ABSOLUTE_TIMEOUT"),
    Flag.withFallbackConfig(Config.String("RELEASEPASSPORT_SESSION_ABSOLUTE_TIMEOUT")),
    Flag.withDefault("12h")
  ),
  maxFailuresPerAccount: Flag.Int("login-max-failures-per-account").pipe(
    Flag.withDescription(
      "Failed sign-ins per account within one throttle window before it is locked for a window. Env: RELEASEPASSPORT_LOGIN_MAX_FAILURES_PER_ACCOUNT"
    ),
    Flag.withFallbackConfig(Config.Int("RELEASEPASSPORT_LOGIN_MAX_FAILURES_PER_ACCOUNT")),
    Flag.withDefault(5)
  ),
  maxFailuresPerAddress: Flag.Int("login-max-failures-per-address").pipe(
    Flag.withDescription(
      "Failed sign-ins per client address (IPv4, IPv6 /64) within one window before it is locked. Env: RELEASEPASSPORT_LOGIN_MAX_FAILURES_PER_ADDRESS"
    ),
    Flag.withFallbackConfig(Config.Int("RELEASEPASSPORT_LOGIN_MAX_FAILURES_PER_ADDRESS")),
    Flag.withDefault(30)
  ),
  throttleWindow: Flag.String("login-throttle-window").pipe(
    Flag.withDescription("How long failed sign-ins are counted, and how long a lock lasts, e.g. 15m. Env: RELEASEPASSPORT_LOGIN_THROTTLE_WINDOW"),
    Flag.withFallbackConfig(Config.String("RELEASEPASSPORT_LOGIN_THROTTLE_WINDOW")),
    Flag.withDefault("15m")
  ),
  trustedProxies: Flag.String("trusted-proxies").pipe(
    Flag.withDescription(
      "Load balancers / reverse proxies (comma-separated IPs or CIDRs) whose X-Forwarded-For/-Host/-Proto are believed, " +
        "so sign-in throttling counts clients, not the proxy. Env: RELEASEPASSPORT_TRUSTED_PROXIES"
    ),
    Flag.withFallbackConfig(Config.String("RELEASEPASSPORT_TRUSTED_PROXIES")),
    Flag.withDefault("")
  )
}

type ConsoleAuthFlags = {
  readonly [K in keyof typeof consoleAuthFlags]: (typeof consoleAuthFlags)[K] extends Flag.Flag<infer A> ? A : never
}

const duration = (flag: string, text: string) => {
  const ms = parseDuration(text)
  return ms === undefined || ms <= 0
    ? fail(`--${flag} must look like 45s, 30m, 12h or 7d and be positive (got "${text}")`)
    : Effect.succeed(ms)
}

/** The validated settings, as `ServerConfig` fields. */
export const consoleAuthSettings = (flags: ConsoleAuthFlags) =>
  Effect.gen(function*() {
    const sessionIdleTimeoutMs = yield* duration("session-idle-timeout", flags.idleTimeout)
    const sessionAbsoluteTimeoutMs = yield* duration("session-absolute-timeout", flags.absoluteTimeout)
    const loginThrottleWindowMs = yield* duration("login-throttle-window", flags.throttleWindow)
    if (sessionIdleTimeoutMs > sessionAbsoluteTimeoutMs) {
      return yield* fail("--session-idle-timeout must not be longer than --session-absolute-timeout")
    }
    if (flags.maxFailuresPerAccount < 1 || flags.maxFailuresPerAddress < 1) {
      return yield* fail("--login-max-failures-per-account and --login-max-failures-per-address must be at least 1")
    }
    const { parseTrustedProxies } = yield* Effect.promise(() => import("@releasepassport/server"))
    const proxies = parseTrustedProxies(flags.trustedProxies)
    if (Result.isFailure(proxies)) {
      return yield* fail(`--trusted-proxies: "${proxies.failure}" is not an IP address or CIDR network (e.g. 10.0.0.0/8)`)
    }
    return {
      trustedProxies: flags.trustedProxies.split(",").map((s) => s.trim()).filter((s) => s !== ""),
      sessionIdleTimeoutMs,
      sessionAbsoluteTimeoutMs,
      loginMaxFailuresPerAccount: flags.maxFailuresPerAccount,
      loginMaxFailuresPerAddress: flags.maxFailuresPerAddress,
      loginThrottleWindowMs
    } satisfies Partial<ServerConfigShape>
  })
