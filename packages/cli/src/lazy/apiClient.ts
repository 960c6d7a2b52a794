// Loaded with import() when a pipeline command calls the server: the API definition and
// effect's HTTP client are not needed to parse a command line or print help (see licensing.ts
// for why a module of its own).
export { Api, BearerToken, SessionOrToken } from "@releasepassport/server/api"
export { FetchHttpClient, HttpClientRequest } from "effect/http"
export { HttpApiClient, HttpApiMiddleware } from "effect/http-api"
