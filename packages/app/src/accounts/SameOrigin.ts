/** The address and port a connection arrived on: what this server listens on, not what a client claims. */
export interface LocalEndpoint {
  readonly address: string
  readonly port: number
}

/** The endpoint of an accepted socket (Node's `localAddress`/`localPort`), when it has one. */
export const endpointOf = (socket: { readonly localAddress?: string | undefined; readonly localPort?: number | undefined }): LocalEndpoint | undefined =>
  socket.localAddress === undefined || socket.localPort === undefined ? undefined : { address: socket.localAddress, port: socket.localPort }

/**
 * The endpoint a server request's connection was accepted on (what we listen on; not `Host`),
 * when the transport tells: on Node a request's `source` is its `IncomingMessage`, whose socket
 * knows. Described structurally, so the JSON API and the console share it without a Node import here.
 */
export const localEndpoint = (request: { readonly source: unknown }): LocalEndpoint | undefined => {
  const source = request.source
  const socket = typeof source === "object" && source !== null ? (source as { readonly socket?: unknown }).socket : undefined
  return typeof socket === "object" && socket !== null
    ? endpointOf(socket as { readonly localAddress?: string | undefined; readonly localPort?: number | undefined })
    : undefined
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
 * Whether a request's `Origin` is this server: the one check the JSON API and the console share.
 * With a configured public URL the origin must be exactly it (scheme, host and port). Without one,
 * it must be exactly an origin of the address the connection arrived on (`http`, that address or
 * `localhost` for loopback, that port): the `Host` header is the client's to choose, so it proves
 * nothing. Behind a proxy or a port mapping, configure the public URL. A missing, `null` or
 * unparsable origin is never same-origin.
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
