import { Layer, Result } from "effect"
import { HttpMiddleware, HttpRouter } from "effect/http"
import { IpNetwork } from "effect/net"

/**
 * Parses `--trusted-proxies` (comma-separated addresses or CIDR networks). A bare address is
 * one host (/32 or /128). Returns the networks, or the first entry that is not one.
 */
export const parseTrustedProxies = (text: string): Result.Result<ReadonlyArray<IpNetwork.IpNetwork>, string> => {
  const networks: Array<IpNetwork.IpNetwork> = []
  for (const raw of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const cidr = raw.includes("/") ? raw : `${raw}/${raw.includes(":") ? 128 : 32}`
    const parsed = IpNetwork.fromString(cidr)
    if (Result.isFailure(parsed)) return Result.fail(raw)
    networks.push(parsed.success)
  }
  return Result.succeed(networks)
}

/**
 * Behind a load balancer every request arrives from the balancer's address. For the proxies
 * named here (and only those), the client address and host are taken from `X-Forwarded-For`,
 * `-Host` and `-Proto`, so that sign-in throttling counts clients rather than the balancer, and
 * the Origin check sees the host the browser used. Nothing is trusted by default.
 */
export const trustedProxiesLayer = (networks: ReadonlyArray<IpNetwork.IpNetwork>) =>
  networks.length === 0
    ? Layer.empty
    : HttpRouter.middleware(HttpMiddleware.xForwardedHeaders({ trustedProxies: networks }), { global: true })
