import type { IncomingMessage, Server, ServerResponse } from "node:http"
import { ProblemCodes } from "../api/Problems.ts"

const BODY = JSON.stringify({
  type: "https://releasepassport.dev/problems/unavailable",
  status: 503,
  title: "Service Unavailable",
  code: ProblemCodes.serverStarting,
  detail: "The server is starting (migrating the database, loading policies); retry shortly."
})

/**
 * Node's listener is bound before the application is built (migrations, policy threads), and
 * until Effect attaches its `request` handler a request that arrives has no listener at all:
 * Node neither answers nor closes it, and a client without a timeout waits forever. This
 * listener answers such a request with 503 `server.starting` and steps aside as soon as any
 * other `request` listener exists, so it never answers a request the application could.
 * Attach it before `listen`.
 */
export const answerWhileStarting = <S extends Server>(server: S): S => {
  const starting = (request: IncomingMessage, response: ServerResponse) => {
    if (server.listenerCount("request") > 1) return
    // Drain the body so the connection can be reused; close it so a keep-alive client comes
    // back on a fresh connection that the application will answer.
    request.resume()
    response.writeHead(503, {
      "content-type": "application/problem+json",
      "content-length": Buffer.byteLength(BODY),
      "retry-after": "1",
      "cache-control": "no-store",
      connection: "close"
    })
    response.end(BODY)
  }
  server.on("request", starting)
  return server
}
