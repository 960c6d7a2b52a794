import net from "node:net"
import type { AddressInfo } from "node:net"

/**
 * A TCP proxy on loopback between a server process and a real database, so a test can take
 * the database away and give it back without touching the database itself (other tests share it).
 *
 * - `cut()`: the database is gone. Live connections are destroyed and nothing listens on the
 *   port any more, so new connections are refused (a crash, a restart, a failover).
 * - `blackhole()`: the database stops answering without closing anything. Connections stay
 *   open, bytes go nowhere, new connections are accepted and then ignored (a network partition,
 *   a host that froze). Only timeouts on the client side get a caller out of this.
 * - `restore()`: forwarding again, on the same port. Connections from a blackhole are dropped
 *   first: bytes were lost in both directions, so their protocol state is unusable.
 */
export interface TcpProxy {
  readonly port: number
  /** Connections currently open through the proxy (client side). */
  readonly openConnections: () => number
  readonly cut: () => Promise<void>
  readonly blackhole: () => void
  readonly restore: () => Promise<void>
  readonly close: () => Promise<void>
}

type Mode = "forward" | "blackhole" | "cut"

export const startTcpProxy = async (target: { readonly host: string; readonly port: number }): Promise<TcpProxy> => {
  let mode: Mode = "forward"
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket | undefined }>()

  const destroyAll = () => {
    for (const pair of pairs) {
      pair.client.destroy()
      pair.upstream?.destroy()
    }
    pairs.clear()
  }

  const onConnection = (client: net.Socket) => {
    const pair: { client: net.Socket; upstream: net.Socket | undefined } = { client, upstream: undefined }
    pairs.add(pair)
    const forget = () => {
      pairs.delete(pair)
      client.destroy()
      pair.upstream?.destroy()
    }
    client.on("error", forget)
    client.on("close", forget)
    if (mode === "blackhole") {
      // Accepted, never answered: read and drop, so the client's writes do not back up either.
      client.on("data", () => undefined)
      return
    }
    const upstream = net.connect({ host: target.host, port: target.port })
    pair.upstream = upstream
    upstream.on("error", forget)
    upstream.on("close", forget)
    // Not pipe(): in a blackhole the bytes must be dropped, not buffered for later.
    client.on("data", (chunk) => {
      if (mode === "forward") upstream.write(chunk)
    })
    upstream.on("data", (chunk) => {
      if (mode === "forward") client.write(chunk)
    })
  }

  let server = net.createServer(onConnection)
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject)
      server.listen({ host: "127.0.0.1", port }, () => {
        server.off("error", reject)
        resolve((server.address() as AddressInfo).port)
      })
    })
  const stopListening = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve()
      server.close(() => resolve())
    })

  const port = await listen(0)

  return {
    port,
    openConnections: () => pairs.size,
    cut: async () => {
      mode = "cut"
      const closed = stopListening()
      destroyAll()
      await closed
    },
    blackhole: () => {
      mode = "blackhole"
    },
    restore: async () => {
      if (mode === "blackhole") destroyAll()
      if (!server.listening) {
        server = net.createServer(onConnection)
        // The port was free a moment ago; on a busy machine another process may take it in
        // between, so try a few times before giving up.
        for (let attempt = 0;; attempt++) {
          try {
            await listen(port)
            break
          } catch (error) {
            if (attempt >= 20) throw error
            await new Promise((resolve) => setTimeout(resolve, 100))
          }
        }
      }
      mode = "forward"
    },
    close: async () => {
      mode = "cut"
      const closed = stopListening()
      destroyAll()
      await closed
    }
  }
}
