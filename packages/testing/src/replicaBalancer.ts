import http from "node:http"

/**
 * A client-side load balancer over several server replicas, as a test's clients see them:
 * round robin over the replicas it believes alive, keep-alive connections, and failover. A
 * replica that refuses a connection or drops one mid-request (a crashed process) is taken out
 * of the rotation and the request goes to the next one; the caller is told about every attempt
 * whose answer was lost, because such a request may have been carried out all the same.
 *
 * node:http rather than fetch: on a 2-core machine shared with three servers and PostgreSQL,
 * the client's own CPU matters, and its errors name the socket failure precisely.
 */
export interface BalancedRequest {
  readonly method: "GET" | "POST"
  readonly path: string
  readonly headers?: Record<string, string>
  readonly body?: string
}

export interface LostAttempt {
  readonly replica: number
  readonly code: string
  /**
   * A reused keep-alive connection reset before any answer: the replica most likely closed it
   * as idle while this request went out (the race every keep-alive client knows), so the
   * request is sent again to the same replica on a new connection, not taken as a crash.
   */
  readonly stale: boolean
}

export interface BalancedAnswer {
  readonly status: number
  readonly text: string
  readonly json: any
  /** The replica that answered. */
  readonly replica: number
  /** Attempts whose answer was lost (each one may have been carried out). */
  readonly lost: ReadonlyArray<LostAttempt>
}

/** The replica is gone: refused, reset, or the connection closed before the whole answer came. */
export class ReplicaUnreachable extends Error {
  override readonly name = "ReplicaUnreachable"
  constructor(readonly replica: number, readonly code: string, readonly stale: boolean) {
    super(`replica ${replica} unreachable (${code})`)
  }
}

const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ECONNABORTED"])
/** Idle keep-alive connections are closed by the client after this long, well before the server's 5 s. */
const IDLE_CONNECTION_MS = 1000
/** Stale connections in a row before a replica counts as down after all. */
const MAX_STALE_RETRIES = 3

export class ReplicaBalancer {
  private readonly agents: ReadonlyArray<http.Agent>
  private readonly targets: ReadonlyArray<URL>
  private readonly up: Array<boolean>
  private turn = 0
  /** Requests on their way to each replica right now. */
  readonly inFlight: Array<number>

  constructor(urls: ReadonlyArray<string>, private readonly options: { readonly socketsPerReplica: number; readonly timeoutMs: number }) {
    this.targets = urls.map((url) => new URL(url))
    this.agents = urls.map(() => new http.Agent({ keepAlive: true, maxSockets: options.socketsPerReplica, timeout: IDLE_CONNECTION_MS }))
    this.up = urls.map(() => true)
    this.inFlight = urls.map(() => 0)
  }

  /** Replicas still in the rotation. */
  alive(): ReadonlyArray<number> {
    return this.up.flatMap((up, i) => (up ? [i] : []))
  }

  /** Sends to the next live replica; on a lost connection, takes that replica out and tries the next. */
  async send(request: BalancedRequest): Promise<BalancedAnswer> {
    const lost: Array<LostAttempt> = []
    let replica = this.next(request)
    let stale = 0
    for (;;) {
      try {
        const answer = await this.attempt(replica, request)
        return { ...answer, replica, lost }
      } catch (error) {
        if (!(error instanceof ReplicaUnreachable)) throw error
        lost.push({ replica, code: error.code, stale: error.stale })
        if (error.stale && stale++ < MAX_STALE_RETRIES) continue
        this.up[replica] = false
        replica = this.next(request)
        stale = 0
      }
    }
  }

  close(): void {
    for (const agent of this.agents) agent.destroy()
  }

  private next(request: BalancedRequest): number {
    const live = this.alive()
    if (live.length === 0) throw new Error(`no replica left to send ${request.method} ${request.path} to`)
    return live[this.turn++ % live.length]!
  }

  private attempt(replica: number, request: BalancedRequest): Promise<{ status: number; text: string; json: any }> {
    const target = this.targets[replica]!
    this.inFlight[replica]!++
    return new Promise<{ status: number; text: string; json: any }>((resolve, reject) => {
      let answered = false
      const fail = (error: NodeJS.ErrnoException) => {
        const code = error.code ?? error.message
        if (!UNREACHABLE_CODES.has(code) && code !== "aborted" && code !== "socket hang up") return reject(error)
        reject(new ReplicaUnreachable(replica, code, outgoing.reusedSocket && !answered && code === "ECONNRESET"))
      }
      const outgoing = http.request({
        agent: this.agents[replica]!,
        host: target.hostname,
        port: target.port,
        method: request.method,
        path: request.path,
        headers: {
          ...(request.body !== undefined
            ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(request.body)) }
            : {}),
          ...request.headers
        }
      }, (response) => {
        answered = true
        const chunks: Array<Buffer> = []
        response.on("data", (chunk: Buffer) => chunks.push(chunk))
        response.on("error", fail)
        response.on("aborted", () => reject(new ReplicaUnreachable(replica, "aborted", false)))
        response.on("end", () => {
          if (!response.complete) return reject(new ReplicaUnreachable(replica, "incomplete", false))
          const text = Buffer.concat(chunks).toString("utf8")
          let json: any
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }
          resolve({ status: response.statusCode ?? 0, text, json })
        })
      })
      outgoing.on("error", fail)
      // A hang is a failure of the test, never a reason to fail over.
      outgoing.setTimeout(this.options.timeoutMs, () =>
        outgoing.destroy(new Error(`no answer from replica ${replica} in ${this.options.timeoutMs} ms: ${request.method} ${request.path}`)))
      outgoing.end(request.body)
    }).finally(() => this.inFlight[replica]!--)
  }
}
