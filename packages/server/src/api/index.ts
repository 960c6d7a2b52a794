// The HTTP API's definition alone (`@releasepassport/server/api`): what a client needs to derive
// its typed calls, without the handlers, stores, policy threads or console behind it.
export * from "./Api.ts"
export * from "./AuthApi.ts"
export * from "./GateApi.ts"
export * from "./Problems.ts"
export * from "./Security.ts"
export * from "./SessionSecurity.ts"
export * from "./SessionOrTokenSecurity.ts"
export * from "./TokenAdminApi.ts"
