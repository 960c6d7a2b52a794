import { NodeHttpServerRequest } from "@effect/platform-node"
import type { HttpServerRequest } from "effect/http"

/** The address and port a connection arrived on: what this server listens on, not what a client claims. */
export interface LocalEndpoint {
  readonly address: string
  readonly port: number
}

/** The endpoint the request's connection was accepted on, when the transport tells. */
export const localEndpoint = (request: HttpServerRequest.HttpServerRequest): LocalEndpoint | undefined => {
  try {
    const socket = NodeHttpServerRequest.toIncomingMessage(request).socket
    const { localAddress, localPort } = socket
    return localAddress === undefined || localPort === undefined ? undefined : { address: localAddress, port: localPort }
  } catch {
    return undefined
  }
}

/** The origins a browser can have used to reach `local` over plain HTTP. */
const listenOrigins = (local: LocalEndpoint): Array<string> => {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(local.address)
  const address = mapped !== null ? mapped[1]! : local.address
  const hosts = [address.includes(":") ? `[${address}]` : address]
  if (address.startsWith("127.") || address === "::1") hosts.push("localhost")
  return hosts.flatMap((host) => {
    try {
      return [new URL(`http://${host}:${local.port}`).origin]
    } catch {
      return []
    }
  })
}

/**
 * Whether a request's `Origin` is this server. With a configured public URL the origin must be
 * exactly it (scheme, host and port). Without one, it must be exactly an origin of the address
 * the connection arrived on (`http`, that address or `localhost` for loopback, that port): the
 * `Host` header is the client's to choose, so it proves nothing. Behind a proxy or a port
 * mapping, configure the public URL. A missing, `null` or unparsable origin is never same-origin.
 */
export const isSameOrigin = (
  origin: string | undefined,
  target: { readonly publicUrl: string | undefined; readonly local: LocalEndpoint | undefined }
): boolean => {
  if (origin === undefined || origin === "null") return false
  let presented: URL
  try {
    presented = new URL(origin)
  } catch {
    return false
  }
  if (presented.protocol !== "https:" && presented.protocol !== "http:") return false
  if (target.publicUrl !== undefined) {
    try {
      return presented.origin === new URL(target.publicUrl).origin
    } catch {
      return false
    }
  }
  if (target.local === undefined) return false
  return listenOrigins(target.local).includes(presented.origin)
}
