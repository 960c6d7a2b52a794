import type { Compilable, Kysely, QueryResult } from "kysely"
import type { Tables } from "../schema.ts"

/**
 * A statement whose SQL never changes, built and compiled once per database instead of once per
 * run. Kysely otherwise builds an operation tree, freezes it and compiles it to SQL every time a
 * statement runs; on the gate's path that was about a tenth of the main thread under load.
 *
 * The builder is called once with a marker in each named slot; the compiled SQL keeps its
 * placeholders, and every run binds the values given for the slots where the markers were (and
 * the builder's own constants elsewhere). Only what is bound as a parameter can be a slot: a
 * value that would change the SQL text (a list of any length, an optional clause) stays a builder.
 * The markers are checked once, when the statement is made: every slot must be bound, none may
 * end up in the SQL text, so a statement that cannot be compiled once fails at start-up.
 */
export interface CompiledStatement<P extends string, R> {
  readonly sql: string
  readonly run: (db: Kysely<Tables>, values: Readonly<Record<P, unknown>>) => Promise<QueryResult<R>>
}

const MARKER = "\u0000compiled-statement-slot:"

export const compileOnce = <P extends string, R>(
  db: Kysely<Tables>,
  names: ReadonlyArray<P>,
  build: (db: Kysely<Tables>, slots: Readonly<Record<P, never>>) => Compilable<R>
): CompiledStatement<P, R> => {
  const slots = Object.fromEntries(names.map((name) => [name, `${MARKER}${name}`])) as unknown as Record<P, never>
  const compiled = build(db, slots).compile()
  if (compiled.sql.includes(MARKER)) throw new Error(`a slot became SQL text instead of a parameter: ${compiled.sql}`)
  const sources = compiled.parameters.map((value) =>
    typeof value === "string" && value.startsWith(MARKER) ? { slot: value.slice(MARKER.length) as P } : { value }
  )
  const bound = new Set(sources.flatMap((source) => ("slot" in source ? [source.slot] : [])))
  const unbound = names.filter((name) => !bound.has(name))
  if (unbound.length > 0) throw new Error(`slots ${unbound.join(", ")} are not parameters of: ${compiled.sql}`)
  return {
    sql: compiled.sql,
    run: (executor, values) =>
      executor.executeQuery<R>({
        ...compiled,
        parameters: sources.map((source) => ("slot" in source ? values[source.slot] : source.value))
      })
  }
}

/** The first row of a statement's result, or a defect when there is none (Kysely's `executeTakeFirstOrThrow`). */
export const firstRow = <R>(result: QueryResult<R>, what: string): R => {
  const row = result.rows[0]
  if (row === undefined) throw new Error(`no row: ${what}`)
  return row
}
