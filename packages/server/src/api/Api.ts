import { HttpApi, OpenApi } from "effect/http-api"
import { EvidenceApi } from "./EvidenceApi.ts"
import { AuthApi } from "./AuthApi.ts"
import { GateApi } from "./GateApi.ts"
import { IntegrationsApi } from "./IntegrationsApi.ts"
import { LicenseApi } from "./LicenseApi.ts"
import { MetricsApi } from "./MetricsApi.ts"
import { documentOpenApi } from "./OpenApiDocument.ts"
import { PassportsApi } from "./PassportsApi.ts"
import { ReportsApi } from "./ReportsApi.ts"
import { PoliciesApi } from "./PoliciesApi.ts"
import { RequestIntake } from "./RequestIntake.ts"
import { RequestValidation } from "./RequestValidation.ts"
import { SystemApi } from "./SystemApi.ts"
import { TokenAdminApi } from "./TokenAdminApi.ts"

export const BASE_PATH = "/releasepassport/v1"

/**
 * The HTTP API, defined once. Handlers, the typed client used by the tests and the
 * OpenAPI document (`/releasepassport/v1/openapi.json`) are all derived from it.
 */
export class Api extends HttpApi.make("releasepassport")
  .add(SystemApi)
  .add(GateApi)
  .add(AuthApi)
  .add(TokenAdminApi)
  .add(EvidenceApi)
  .add(PassportsApi)
  .add(IntegrationsApi)
  .add(LicenseApi)
  .add(ReportsApi)
  .add(PoliciesApi)
  .add(MetricsApi)
  .prefix(BASE_PATH)
  .middleware(RequestValidation)
  .middleware(RequestIntake)
  .annotate(HttpApi.PayloadParseOptions, { errors: "all" })
  .annotateMerge(OpenApi.annotations({
    title: "Release Passport API",
    description: "A self-hosted release gate with a passport per release.",
    transform: documentOpenApi
  }))
{}
