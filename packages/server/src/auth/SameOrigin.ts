import { NodeHttpServerRequest } from "@effect/platform-node"
import { endpointOf } from "@releasepassport/app"
import type { LocalEndpoint } from "@releasepassport/app"
import type { HttpServerRequest } from "effect/http"

// The check is pure and shared with the console, so it lives with the session use cases.
export { isSameOrigin } from "@releasepassport/app"
export type { LocalEndpoint } from "@releasepassport/app"

/** The endpoint the request's connection was accepted on, when the transport tells. */
export const localEndpoint = (request: HttpServerRequest.HttpServerRequest): LocalEndpoint | undefined => {
  try {
    return endpointOf(NodeHttpServerRequest.toIncomingMessage(request).socket)
  } catch {
    return undefined
  }
}
