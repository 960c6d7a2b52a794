import { Context } from "effect"
import type { TracingConfig } from "./Tracing.ts"

/** Everything the server is configured with. Built by the CLI from flags and environment. */
export interface ServerConfigShape {
  readonly host: string
  readonly port: number
  /** `sqlite:<file>` or `postgres://…`. */
  readonly databaseUrl: string
  /** PostgreSQL: how long a request waits on the database (connection, each answer) before a 503. */
  readonly databaseTimeoutMs: number
  /** PostgreSQL: statements with parameters as named prepared statements (off for some poolers). */
  readonly postgresPreparedStatements: boolean
  /** Path of the compiled OPA bundle (tar.gz). */
  readonly policyBundlePath: string
  /** Per-evaluation policy time budget. */
  readonly policyBudgetMs: number
  /**
   * Threads that evaluate policies, apart from the request loop, so that an evaluation over its
   * budget is stopped rather than waited for. 0: evaluate in the request loop (overruns are
   * then only noticed afterwards).
   */
  readonly policyThreads: number
  /** How often this replica reads every workspace's active bundle, to switch when one is activated elsewhere. */
  readonly policyPollIntervalMs: number
  /** Upper bound on policy wasm memory. */
  readonly policyMemoryLimitBytes: number
  /** Largest request body accepted. */
  readonly maxBodyBytes: number
  /** The URL users reach the server at (decides the Secure cookie flag and the allowed Origin). */
  readonly publicUrl: string | undefined
  /** A console session ends after this long without a request... */
  readonly sessionIdleTimeoutMs: number
  /** ...and this long after sign-in, however active it is. */
  readonly sessionAbsoluteTimeoutMs: number
  /** Failed sign-ins per account within one window before the account is locked for a window. */
  readonly loginMaxFailuresPerAccount: number
  /** Failed sign-ins per client address (IPv4, or IPv6 /64) within one window before it is locked. */
  readonly loginMaxFailuresPerAddress: number
  readonly loginThrottleWindowMs: number
  /**
   * Proxies (CIDR networks) whose X-Forwarded-* headers are believed: the client address for
   * throttling and the host for the Origin check. Empty: the transport's own values.
   */
  readonly trustedProxies: ReadonlyArray<string>
  /**
   * The public key installed licenses are verified with: PEM or JWK text, or the path of a
   * file holding one. Unset: an installed license cannot be verified (status `invalid`).
   */
  readonly licensePublicKey: string | undefined
  /** An extra listener that answers only `GET …/license/status`, without authentication. */
  readonly licenseStatusListener: { readonly host: string; readonly port: number } | undefined
  /** Gate evaluations older than this are pruned (never a passport's latest per environment). Unset: keep all. */
  readonly retainEvaluationsMs?: number | undefined
  /** An extra listener that answers only `GET /metrics`, without authentication. */
  readonly metricsListener: { readonly host: string; readonly port: number } | undefined
  /** `json`: every line the server writes (the listening line too) is one JSON object. */
  readonly logFormat: "text" | "json"
  /** Export spans over OTLP (`OTEL_EXPORTER_OTLP_ENDPOINT`). Unset: no exporter. */
  readonly tracing?: TracingConfig | undefined
}

export class ServerConfig extends Context.Service<ServerConfig, ServerConfigShape>()(
  "@releasepassport/server/ServerConfig"
) {}

export const defaultServerConfig = (overrides: Partial<ServerConfigShape> & { policyBundlePath: string }): ServerConfigShape => ({
  host: "127.0.0.1",
  port: 8080,
  databaseUrl: "sqlite:./releasepassport.db",
  databaseTimeoutMs: 5000,
  postgresPreparedStatements: true,
  policyBudgetMs: 250,
  policyThreads: 2,
  policyMemoryLimitBytes: 64 * 1024 * 1024,
  policyPollIntervalMs: 2000,
  maxBodyBytes: 1024 * 1024,
  publicUrl: undefined,
  sessionIdleTimeoutMs: 30 * 60_000,
  sessionAbsoluteTimeoutMs: 12 * 3_600_000,
  loginMaxFailuresPerAccount: 5,
  loginMaxFailuresPerAddress: 30,
  loginThrottleWindowMs: 15 * 60_000,
  trustedProxies: [],
  licensePublicKey: undefined,
  licenseStatusListener: undefined,
  metricsListener: undefined,
  logFormat: "text",
  ...overrides
})
