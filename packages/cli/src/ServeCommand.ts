import { Cause, Config, Effect, Layer, Result } from "effect"
import { CliError, Command, Flag } from "effect/cli"
import { databaseFlag, fail, parseDuration } from "./common.ts"
import { logFormat } from "./logging.ts"
import { consoleAuthFlags, consoleAuthSettings } from "./ConsoleAuthFlags.ts"
import { licensePublicKeyFlag, licenseStatusListenerFlag, parseListenAddress } from "./LicenseCommands.ts"

const host = Flag.String("host").pipe(
  Flag.withDescription("Address to listen on. Env: RELEASEPASSPORT_HOST"),
  Flag.withFallbackConfig(Config.String("RELEASEPASSPORT_HOST")),
  Flag.withDefault("127.0.0.1")
)
const port = Flag.Int("port").pipe(
  Flag.withDescription("Port to listen on (0 picks a free one). Env: RELEASEPASSPORT_PORT"),
  Flag.withFallbackConfig(Config.Int("RELEASEPASSPORT_PORT")),
  Flag.withDefault(8080)
)
const policyBundle = Flag.String("policy-bundle").pipe(
  Flag.withDescription("Compiled OPA bundle (tar.gz). Default: the bundled policies. Env: RELEASEPASSPORT_POLICY_BUNDLE"),
  Flag.withFallbackConfig(Config.String("RELEASEPASSPORT_POLICY_BUNDLE")),
  Flag.optional
)
const policyBudget = Flag.Int("policy-budget-ms").pipe(
  Flag.withDescription("Time budget of one policy evaluation; slower means verdict error. Env: RELEASEPASSPORT_POLICY_BUDGET_MS"),
  Flag.withFallbackConfig(Config.Int("RELEASEPASSPORT_POLICY_BUDGET_MS")),
  Flag.withDefault(250)
)
const policyThreads = Flag.Int("policy-threads").pipe(
  Flag.withDescription(
    "Threads that evaluate policies, so an evaluation over budget is stopped instead of stalling requests; 0 evaluates in the request loop. Env: RELEASEPASSPORT_POLICY_THREADS"
  ),
  Flag.withFallbackConfig(Config.Int("RELEASEPASSPORT_POLICY_THREADS")),
  Flag.withDefault(2)
)
const policyPoll = Flag.Int("policy-poll-ms").pipe(
  Flag.withDescription(
    "How often this replica checks which policy bundle each workspace has active, so an activation made on another replica takes effect here within this time. Env: RELEASEPASSPORT_POLICY_POLL_MS"
  ),
  Flag.withFallbackConfig(Config.Int("RELEASEPASSPORT_POLICY_POLL_MS")),
  Flag.withDefault(2000)
)
const databaseTimeout = Flag.Int("database-timeout-ms").pipe(
  Flag.withDescription(
    "PostgreSQL: how long a request waits for a connection or an answer before it gets 503 store.unavailable. Env: RELEASEPASSPORT_DATABASE_TIMEOUT_MS"
  ),
  Flag.withFallbackConfig(Config.Int("RELEASEPASSPORT_DATABASE_TIMEOUT_MS")),
  Flag.withDefault(5000)
)
const postgresStatements = Flag.Literals("postgres-statements", ["prepared", "unnamed"]).pipe(
  Flag.withDescription(
    "PostgreSQL: run statements as named prepared statements (prepared, the default: parsed once per connection) or unnamed (for a pooler in transaction mode that does not keep them, such as PgBouncer before 1.21). Env: RELEASEPASSPORT_POSTGRES_STATEMENTS"
  ),
  Flag.withFallbackConfig(Config.Literals(["prepared", "unnamed"], "RELEASEPASSPORT_POSTGRES_STATEMENTS")),
  Flag.withDefault("prepared" as const)
)
const retainEvaluations = Flag.String("retain-evaluations").pipe(
  Flag.withDescription(
    "Prune gate evaluations older than this (e.g. 400d), in small batches at start and hourly; a passport's latest verdict per environment always stays. Unset: keep everything. Env: RELEASEPASSPORT_RETAIN_EVALUATIONS"
  ),
  Flag.withFallbackConfig(Config.String("RELEASEPASSPORT_RETAIN_EVALUATIONS")),
  Flag.optional
)
const publicUrl = Flag.String("public-url").pipe(
  Flag.withDescription("URL users reach the server at (https enables Secure cookies); the only Origin console writes are accepted from. Unset: the address the connection arrived on (set it behind a proxy or port mapping). Env: RELEASEPASSPORT_PUBLIC_URL"),
  Flag.withFallbackConfig(Config.String("RELEASEPASSPORT_PUBLIC_URL")),
  Flag.optional
)

const isUserError = (error: unknown) => error instanceof CliError.UserError

const firstLine = (error: unknown): string => {
  const text = error instanceof Error ? error.message : String(error)
  return text.split("\n")[0]?.trim() || "unknown error"
}

/** `EADDRINUSE` and friends as one line that names the address and what to do. */
const listenFailure = (cause: unknown, config: { readonly host: string; readonly port: number }): string => {
  // Node's listen errors carry `code`, `address` and `port` (the license listener's are not the main one's).
  const error = (typeof cause === "object" && cause !== null ? cause : {}) as { code?: unknown; address?: unknown; port?: unknown }
  const code = typeof error.code === "string" ? error.code : undefined
  const where = error.address !== undefined && error.port !== undefined
    ? `${String(error.address)}:${String(error.port)}`
    : `${config.host}:${config.port}`
  switch (code) {
    case "EADDRINUSE":
      return `cannot listen on ${where}: the address is already in use (is another server running? choose another --port)`
    case "EACCES":
      return `cannot listen on ${where}: permission denied (ports below 1024 need privileges; choose another --port)`
    case "EADDRNOTAVAIL":
      return `cannot listen on ${where}: the address is not available on this machine (check --host)`
    default:
      return `cannot listen on ${where}: ${firstLine(cause)}`
  }
}

const metricsListenerFlag = Flag.String("metrics-listener").pipe(
  Flag.withDescription(
    "Also answer GET /metrics (Prometheus) WITHOUT authentication on this address (PORT, HOST:PORT, [IPv6]:PORT; " +
      "a bare port is 127.0.0.1), and nothing else there. Without it, /releasepassport/v1/metrics needs a token " +
      "with scope metrics:read. Env: RELEASEPASSPORT_METRICS_LISTENER"
  ),
  Flag.withFallbackConfig(Config.String("RELEASEPASSPORT_METRICS_LISTENER")),
  Flag.optional
)

export const serveCommand = Command.make(
  "serve",
  {
    host,
    port,
    database: databaseFlag,
    databaseTimeout,
    postgresStatements,
    policyBundle,
    policyBudget,
    policyThreads,
    policyPoll,
    publicUrl,
    retainEvaluations,
    consoleAuth: consoleAuthFlags,
    licensePublicKey: licensePublicKeyFlag,
    licenseStatusListener: licenseStatusListenerFlag,
    metricsListener: metricsListenerFlag
  },
  Effect.fn(function*(flags) {
    if (flags.port < 0 || flags.port > 65535) return yield* fail(`--port must be 0-65535, got ${flags.port}`)
    if (flags.policyBudget <= 0) return yield* fail("--policy-budget-ms must be positive")
    if (flags.policyThreads < 0 || flags.policyThreads > 64) return yield* fail("--policy-threads must be 0-64")
    if (flags.policyPoll < 100 || flags.policyPoll > 3_600_000) return yield* fail("--policy-poll-ms must be 100-3600000")
    if (flags.databaseTimeout <= 0) return yield* fail("--database-timeout-ms must be positive")
    const licenseListener = flags.licenseStatusListener._tag === "Some" ? parseListenAddress(flags.licenseStatusListener.value) : undefined
    if (flags.licenseStatusListener._tag === "Some" && licenseListener === undefined) {
      return yield* fail(`--license-status-listener must be PORT, HOST:PORT or [IPv6]:PORT (got "${flags.licenseStatusListener.value}")`)
    }
    const retainEvaluationsMs = flags.retainEvaluations._tag === "Some" ? parseDuration(flags.retainEvaluations.value) : undefined
    if (flags.retainEvaluations._tag === "Some" && (retainEvaluationsMs === undefined || retainEvaluationsMs <= 0)) {
      return yield* fail(`--retain-evaluations must look like 400d, 12h or 30m and be positive (got "${flags.retainEvaluations.value}")`)
    }
    const metricsListener = flags.metricsListener._tag === "Some" ? parseListenAddress(flags.metricsListener.value) : undefined
    if (flags.metricsListener._tag === "Some" && metricsListener === undefined) {
      return yield* fail(`--metrics-listener must be PORT, HOST:PORT or [IPv6]:PORT (got "${flags.metricsListener.value}")`)
    }
    // The server (HTTP stack, stores, policy threads) is loaded only to serve.
    const { defaultPolicyBundlePath, defaultServerConfig, ServerLive, tracingFromEnv } = yield* Effect.promise(() => import("@releasepassport/server"))
    const tracing = tracingFromEnv(process.env)
    if (Result.isFailure(tracing)) return yield* fail(tracing.failure)
    const config = defaultServerConfig({
      host: flags.host,
      port: flags.port,
      databaseUrl: flags.database,
      databaseTimeoutMs: flags.databaseTimeout,
      postgresPreparedStatements: flags.postgresStatements === "prepared",
      policyBundlePath: flags.policyBundle._tag === "Some" ? flags.policyBundle.value : defaultPolicyBundlePath(),
      policyBudgetMs: flags.policyBudget,
      policyThreads: flags.policyThreads,
      policyPollIntervalMs: flags.policyPoll,
      publicUrl: flags.publicUrl._tag === "Some" ? flags.publicUrl.value : undefined,
      ...(yield* consoleAuthSettings(flags.consoleAuth)),
      licensePublicKey: flags.licensePublicKey._tag === "Some" ? flags.licensePublicKey.value : undefined,
      licenseStatusListener: licenseListener,
      retainEvaluationsMs,
      metricsListener,
      logFormat: logFormat(),
      tracing: tracing.success
    })
    return yield* Layer.launch(ServerLive(config)).pipe(
      // One clear line (no stack) when the database is missing or cannot be migrated...
      Effect.catchTag("DatabaseStartupError", (error) => fail(error.message)),
      // ...when an address cannot be bound (in use, not permitted, not local)...
      Effect.catchTag("ServeError", (error) => fail(listenFailure(error.cause, config))),
      // ...and for any other failure to start: the first line of what went wrong, never a stack.
      Effect.catchCause((cause) =>
        Cause.hasInterruptsOnly(cause) || Cause.hasFails(cause) && isUserError(Cause.squash(cause))
          ? Effect.failCause(cause)
          : fail(`the server stopped: ${firstLine(Cause.squash(cause))}`)
      )
    )
  })
).pipe(
  Command.withDescription(
    "Run the HTTP server. Migrates the database on start and prints the URL it listens on."
  ),
  Command.withExamples([
    { command: "releasepassport serve", description: "SQLite in ./releasepassport.db, bundled policies, port 8080" },
    {
      command: "releasepassport serve --host 0.0.0.0 --database postgres://rp@db:5432/rp",
      description: "PostgreSQL, for several replicas"
    }
  ])
)
