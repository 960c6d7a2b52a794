import { Context } from "effect"

/** Everything the server is configured with. Built by the CLI from flags and environment. */
export interface ServerConfigShape {
  readonly host: string
  readonly port: number
  /** `sqlite:<file>` or `postgres://…`. */
  readonly databaseUrl: string
  /** PostgreSQL: how long a request waits on the database (connection, each answer) before a 503. */
  readonly databaseTimeoutMs: number
  /** Path of the compiled OPA bundle (tar.gz). */
  readonly policyBundlePath: string
  /** Per-evaluation policy time budget. */
  readonly policyBudgetMs: number
  /** Upper bound on policy wasm memory. */
  readonly policyMemoryLimitBytes: number
  /** Largest request body accepted. */
  readonly maxBodyBytes: number
  /** The URL users reach the server at (decides the Secure cookie flag and the allowed Origin). */
  readonly publicUrl: string | undefined
}

export class ServerConfig extends Context.Service<ServerConfig, ServerConfigShape>()(
  "@releasepassport/server/ServerConfig"
) {}

export const defaultServerConfig = (overrides: Partial<ServerConfigShape> & { policyBundlePath: string }): ServerConfigShape => ({
  host: "127.0.0.1",
  port: 8080,
  databaseUrl: "sqlite:./releasepassport.db",
  databaseTimeoutMs: 5000,
  policyBudgetMs: 250,
  policyMemoryLimitBytes: 64 * 1024 * 1024,
  maxBodyBytes: 1024 * 1024,
  publicUrl: undefined,
  ...overrides
})
