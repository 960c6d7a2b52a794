import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer, Result } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { createServer } from "node:http"
import { Api, BASE_PATH } from "./api/Api.ts"
import { BearerTokenLive } from "./auth/BearerTokenLive.ts"
import { ConsoleAuthLive } from "./auth/SessionAuthLive.ts"
import { SessionOrTokenLive } from "./auth/SessionOrTokenLive.ts"
import { Database, StoresLive } from "./Database.ts"
import { EvidenceService } from "./evidence/EvidenceService.ts"
import { GateService } from "./gate/GateService.ts"
import { LicenseService } from "./license/LicenseService.ts"
import { AuthHandlers } from "./http/AuthHandlers.ts"
import { DatabaseHealth } from "./http/DatabaseHealth.ts"
import { EvidenceHandlers } from "./http/EvidenceHandlers.ts"
import { EvidenceRejectionsLive } from "./http/EvidenceRejectionsLive.ts"
import { GateHandlers } from "./http/GateHandlers.ts"
import { IntegrationHandlers } from "./http/IntegrationHandlers.ts"
import { LicenseHandlers } from "./http/LicenseHandlers.ts"
import { licenseStatusListener } from "./http/LicenseStatusListener.ts"
import { PassportHandlers } from "./http/PassportHandlers.ts"
import { problemResponses } from "./http/ProblemResponses.ts"
import { RequestValidationLive } from "./http/RequestValidationLive.ts"
import { SystemHandlers } from "./http/SystemHandlers.ts"
import { parseTrustedProxies, trustedProxiesLayer } from "./http/TrustedProxies.ts"
import { TokenAdminHandlers } from "./http/TokenAdminHandlers.ts"
import { PolicyEngine } from "./policy/PolicyEngine.ts"
import { ServerConfig } from "./ServerConfig.ts"
import type { ServerConfigShape } from "./ServerConfig.ts"

const DatabaseHealthLive = Layer.unwrap(Effect.map(Database, DatabaseHealth.layer))

/** The application: routes, handlers and the services they use, without a listener. */
export const AppLive = (config: ServerConfigShape) => {
  const services = Layer.mergeAll(GateService.layer, EvidenceService.layer, EvidenceRejectionsLive, BearerTokenLive, ConsoleAuthLive, SessionOrTokenLive, LicenseService.layer, RequestValidationLive, DatabaseHealthLive).pipe(
    Layer.provideMerge(PolicyEngine.layer),
    Layer.provideMerge(StoresLive),
    Layer.provideMerge(Database.layer(config.databaseUrl, { migrate: true, timeoutMs: config.databaseTimeoutMs })),
    Layer.provideMerge(Layer.succeed(ServerConfig, config))
  )
  const routes = HttpApiBuilder.layer(Api, { openapiPath: `${BASE_PATH}/openapi.json` }).pipe(
    Layer.provide([GateHandlers, EvidenceHandlers, PassportHandlers, IntegrationHandlers, LicenseHandlers, SystemHandlers, AuthHandlers, TokenAdminHandlers])
  )
  // Invalid entries are refused by the CLI; here they would mean trusting nobody, the safe side.
  const proxies = trustedProxiesLayer(Result.getOrElse(parseTrustedProxies(config.trustedProxies.join(",")), () => []))
  return Layer.mergeAll(routes, problemResponses({ maxBodyBytes: config.maxBodyBytes }), proxies, licenseStatusListener(config)).pipe(
    Layer.provide(services)
  )
}

/** The server listening on the configured address; logs the URL once it listens. */
export const ServerLive = (config: ServerConfigShape) =>
  HttpRouter.serve(AppLive(config), { disableLogger: true, disableListenLog: true }).pipe(
    Layer.tap(() =>
      HttpServer.addressFormattedWith((url) => Effect.sync(() => console.log(`releasepassport listening on ${url}`)))
    ),
    Layer.provide(
      NodeHttpServer.layer(() => createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }), {
        host: config.host,
        port: config.port,
        gracefulShutdownTimeout: "10 seconds"
      })
    )
  )
