import { Config, Effect, Layer } from "effect"
import { CliError, Flag } from "effect/cli"
import { Accounts, Tokens } from "@releasepassport/app"

export const DEFAULT_DATABASE_URL = "sqlite:./releasepassport.db"

/** `--database`, else `RELEASEPASSPORT_DATABASE_URL`, else the embedded SQLite file. */
export const databaseFlag = Flag.String("database").pipe(
  Flag.withDescription(
    "Database URL: sqlite:<file> (embedded default) or postgres://user@host:5432/db. Env: RELEASEPASSPORT_DATABASE_URL"
  ),
  Flag.withFallbackConfig(Config.String("RELEASEPASSPORT_DATABASE_URL")),
  Flag.withDefault(DEFAULT_DATABASE_URL)
)

/** The stores over the given database, migrated first so that a fresh database just works. */
export const storesFor = (databaseUrl: string) =>
  // Loaded here, not at start-up: `--help` and the pipeline commands never open a database.
  Layer.unwrap(Effect.promise(async () => {
    const { Database, StoresLive } = await import("@releasepassport/server")
    return StoresLive.pipe(Layer.provideMerge(Database.layer(databaseUrl, { migrate: true })))
  }))

/** A failure the user should see as one clear line, not a stack trace. */
export const fail = (message: string) => Effect.fail(new CliError.UserError({ cause: message, userMessage: message }))

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 }

/** Parses `90d`, `12h`, `30m`, `2w`, `45s` into milliseconds. */
export const parseDuration = (text: string): number | undefined => {
  const match = /^(\d+)\s*([smhdw])$/.exec(text.trim())
  if (match === null) return undefined
  return Number(match[1]) * (UNITS[match[2] as string] as number) * 1000
}

/** The administrative use cases over the given database (the CLI's own composition). */
export const useCasesFor = (databaseUrl: string) =>
  Layer.mergeAll(Accounts.layer, Tokens.layer).pipe(Layer.provideMerge(storesFor(databaseUrl)))
