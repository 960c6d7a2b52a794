import { NodeHttpServer } from "@effect/platform-node"
import { ConsoleRoutes } from "@releasepassport/console"
import {
  Comments,
  Evidence,
  Gate,
  Integrations,
  LicenseConfig,
  LicenseService,
  MAX_POLICY_BUNDLE_BYTES,
  Overview,
  Passports,
  Policies,
  Reports,
  Retention,
  SessionPolicy,
  Tokens
} from "@releasepassport/app"
import { Effect, Layer, Result } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import { HttpApiBuilder, HttpApiScalar } from "effect/http-api"
import { createServer } from "node:http"
import { Api, BASE_PATH } from "./api/Api.ts"
import { POLICY_BUNDLES_PATH } from "./api/PoliciesApi.ts"
import { BearerTokenLive } from "./auth/BearerTokenLive.ts"
import { ConsoleAuthLive } from "./auth/SessionAuthLive.ts"
import { SessionOrTokenLive } from "./auth/SessionOrTokenLive.ts"
import { Database, StoresLive } from "./Database.ts"
import { AuthHandlers } from "./http/AuthHandlers.ts"
import { DatabaseHealth } from "./http/DatabaseHealth.ts"
import { EvidenceHandlers } from "./http/EvidenceHandlers.ts"
import { EvidenceRejectionsLive } from "./http/EvidenceRejectionsLive.ts"
import { GateHandlers } from "./http/GateHandlers.ts"
import { IntegrationHandlers } from "./http/IntegrationHandlers.ts"
import { LicenseHandlers } from "./http/LicenseHandlers.ts"
import { licenseStatusListener } from "./http/LicenseStatusListener.ts"
import { accessLog } from "./http/AccessLog.ts"
import { MetricsHandlers } from "./http/MetricsHandlers.ts"
import { metricsListener } from "./http/MetricsListener.ts"
import { ServerMetrics, UseCaseMetricsLive } from "./metrics/ServerMetrics.ts"
import { PassportHandlers } from "./http/PassportHandlers.ts"
import { PolicyHandlers } from "./http/PolicyHandlers.ts"
import { ReportHandlers } from "./http/ReportHandlers.ts"
import { problemResponses } from "./http/ProblemResponses.ts"
import { RequestIntakeLive } from "./http/RequestIntakeLive.ts"
import { RequestValidationLive } from "./http/RequestValidationLive.ts"
import { answerWhileStarting } from "./http/StartingResponder.ts"
import { SystemHandlers } from "./http/SystemHandlers.ts"
import { parseTrustedProxies, trustedProxiesLayer } from "./http/TrustedProxies.ts"
import { TokenAdminHandlers } from "./http/TokenAdminHandlers.ts"
import { PolicyEngine } from "./policy/PolicyEngine.ts"
import { GatePolicyLive, PolicyRuntimeLive, WorkspacePolicies } from "./policy/WorkspacePolicies.ts"
import { ServerConfig } from "./ServerConfig.ts"
import { TracingLive } from "./Tracing.ts"
import type { ServerConfigShape } from "./ServerConfig.ts"

const DatabaseHealthLive = Layer.unwrap(Effect.map(Database, DatabaseHealth.layer))

/** Each workspace's active bundle, else the server's default; uploads tried on threads of their own. */
const PolicyPortsLive = Layer.mergeAll(GatePolicyLive, PolicyRuntimeLive).pipe(Layer.provideMerge(WorkspacePolicies.layer))

/** What the use cases are configured with, from the server's configuration. */
const appConfig = (config: ServerConfigShape) =>
  Layer.mergeAll(
    Layer.succeed(SessionPolicy, {
      sessionIdleTimeoutMs: config.sessionIdleTimeoutMs,
      sessionAbsoluteTimeoutMs: config.sessionAbsoluteTimeoutMs,
      loginMaxFailuresPerAccount: config.loginMaxFailuresPerAccount,
      loginMaxFailuresPerAddress: config.loginMaxFailuresPerAddress,
      loginThrottleWindowMs: config.loginThrottleWindowMs
    }),
    Layer.succeed(LicenseConfig, { publicKey: config.licensePublicKey })
  )

/** The use cases, as the transports (API handlers, console pages) call them. */
const BaseUseCasesLive = Layer.mergeAll(
  Gate.layer,
  Evidence.layer,
  Passports.layer,
  Comments.layer,
  Tokens.layer,
  Integrations.layer,
  LicenseService.layer,
  Reports.layer,
  Policies.layer,
  Retention.layer
)

/** With the console's overview, which reads through three of them. */
export const UseCasesLive = Overview.layer.pipe(Layer.provideMerge(BaseUseCasesLive))

/** Prunes old evaluations at start and every hour after, when a retention is configured. */
const retentionJob = (config: ServerConfigShape) => {
  const retainMs = config.retainEvaluationsMs
  if (retainMs === undefined) return Layer.empty
  return Layer.effectDiscard(Effect.gen(function*() {
    const retention = yield* Retention
    const once = retention.pruneEvaluations(retainMs).pipe(
      Effect.tap((n) => (n > 0 ? Effect.logInfo(`retention: pruned ${n} gate evaluations`) : Effect.void)),
      // An outage now is retried next hour; it must never stop the server.
      Effect.catchCause((cause) => Effect.logWarning("retention: pruning failed", cause))
    )
    yield* Effect.forkScoped(Effect.forever(Effect.andThen(once, Effect.sleep("1 hour"))))
  }))
}

/** The application: routes, handlers and the services they use, without a listener. */
export const AppLive = (config: ServerConfigShape) => {
  const services = Layer.mergeAll(UseCasesLive, EvidenceRejectionsLive, BearerTokenLive, ConsoleAuthLive, SessionOrTokenLive, RequestValidationLive, RequestIntakeLive, DatabaseHealthLive).pipe(
    Layer.provideMerge(UseCaseMetricsLive),
    // The license gauge reads LicenseService (its own instance: the use cases need the metrics first).
    Layer.provideMerge(ServerMetrics.layer.pipe(Layer.provide(LicenseService.layer))),
    Layer.provideMerge(PolicyPortsLive),
    Layer.provideMerge(PolicyEngine.layer),
    Layer.provideMerge(appConfig(config)),
    Layer.provideMerge(StoresLive),
    Layer.provideMerge(Database.layer(config.databaseUrl, {
      migrate: true,
      timeoutMs: config.databaseTimeoutMs,
      preparedStatements: config.postgresPreparedStatements,
      // A server's commits should never stop to checkpoint the WAL (SQLite).
      backgroundCheckpoints: true
    })),
    Layer.provideMerge(Layer.succeed(ServerConfig, config))
  )
  const routes = HttpApiBuilder.layer(Api, { openapiPath: `${BASE_PATH}/openapi.json` }).pipe(
    Layer.provide([GateHandlers, EvidenceHandlers, PassportHandlers, IntegrationHandlers, LicenseHandlers, SystemHandlers, AuthHandlers, TokenAdminHandlers, ReportHandlers, PolicyHandlers, MetricsHandlers])
  )
  // The interactive reference, with Scalar's script inlined from the effect package and its web
  // fonts off: the page loads nothing from outside (test/api-docs.test.ts checks in a browser).
  const docs = HttpApiScalar.layer(Api, { path: `${BASE_PATH}/docs`, scalar: { withDefaultFonts: false } })
  // Invalid entries are refused by the CLI; here they would mean trusting nobody, the safe side.
  const proxies = trustedProxiesLayer(Result.getOrElse(parseTrustedProxies(config.trustedProxies.join(",")), () => []))
  // The web console: pages under /console that call the same use cases (and `/` redirects there).
  const consolePages = ConsoleRoutes({ publicUrl: config.publicUrl })
  return Layer.mergeAll(routes, consolePages, docs, accessLog, problemResponses({
    maxBodyBytes: config.maxBodyBytes,
    // Policy bundles are larger than any JSON request: their own limit, on their route alone.
    largerBodies: [{ path: `${BASE_PATH}${POLICY_BUNDLES_PATH}`, maxBodyBytes: MAX_POLICY_BUNDLE_BYTES }]
  }), proxies, licenseStatusListener(config), metricsListener(config), retentionJob(config)).pipe(
    Layer.provide(services)
  )
}

/**
 * A start-up line: on stdout as plain text (scripts wait for "listening on"), or with JSON logs
 * chosen as a log record (one JSON object, like every other line of the process).
 */
export const announce = (config: Pick<ServerConfigShape, "logFormat">, message: string, fields: Record<string, string>) =>
  config.logFormat === "json"
    ? Effect.logInfo(message).pipe(Effect.annotateLogs(fields))
    : Effect.sync(() => console.log(message))

/** The server listening on the configured address; logs the URL once it listens. */
export const ServerLive = (config: ServerConfigShape) =>
  HttpRouter.serve(AppLive(config), {
    disableLogger: true,
    disableListenLog: true,
    // Exact paths: a proxy that filters by path must see the path this server routes by, so
    // `/RELEASEPASSPORT/...` and `//releasepassport/...` are not the same route.
    routerConfig: { caseSensitive: true, ignoreDuplicateSlashes: false }
  }).pipe(
    Layer.tap(() =>
      HttpServer.addressFormattedWith((url) => announce(config, `releasepassport listening on ${url}`, { url }))
    ),
    Layer.provide(
      // Listening starts before the application is built: answerWhileStarting answers 503 meanwhile.
      NodeHttpServer.layer(() => answerWhileStarting(createServer({
        requestTimeout: 30_000,
        headersTimeout: 10_000,
        // Node checks those timeouts only this often (default 30 s, so slow headers lasted ~31 s).
        connectionsCheckingInterval: 1_000
      })), {
        host: config.host,
        port: config.port,
        gracefulShutdownTimeout: "10 seconds"
      })
    ),
    // Outermost, so the server's request spans and the use cases' spans all reach the exporter,
    // and its last flush runs after the listener has closed.
    Layer.provide(TracingLive(config.tracing))
  )
