import type { Compilable, CompiledQuery, Kysely, QueryResult } from "kysely"
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

/**
 * A multi-row statement (an insert of a batch) compiled once per row count instead of on every
 * run: for a batch of 100 evidence items Kysely built, froze and compiled 2 200 values each time.
 * At most `keep` row counts are kept, the least recently used out first. The builder is given
 * `count` rows of markers; each count's compiled parameters are checked, when it is first
 * compiled, to be exactly the rows' values in column order (no column written as DEFAULT, no
 * constant of the builder's own, no marker in the SQL text), else that run fails loudly.
 */
export interface CompiledRows<C extends string, R> {
  readonly run: (db: Kysely<Tables>, rows: ReadonlyArray<Readonly<Record<C, unknown>>>) => Promise<QueryResult<R>>
}

export const compileRowsOnce = <C extends string, R>(
  db: Kysely<Tables>,
  columns: ReadonlyArray<C>,
  build: (db: Kysely<Tables>, rows: ReadonlyArray<Record<C, never>>) => Compilable<R>,
  keep = 32
): CompiledRows<C, R> => {
  const shapes = new Map<number, CompiledQuery<R>>()
  const marker = (row: number, column: C) => `${MARKER}${row}:${column}`
  const shapeFor = (count: number): CompiledQuery<R> => {
    const known = shapes.get(count)
    if (known !== undefined) {
      shapes.delete(count)
      shapes.set(count, known)
      return known
    }
    const rows = Array.from({ length: count }, (_, i) => Object.fromEntries(columns.map((column) => [column, marker(i, column)])) as Record<C, never>)
    const compiled = build(db, rows).compile()
    const inOrder = compiled.parameters.length === count * columns.length &&
      compiled.parameters.every((value, k) => value === marker(Math.floor(k / columns.length), columns[k % columns.length]!))
    if (!inOrder || compiled.sql.includes(MARKER)) throw new Error(`not a statement of rows in column order: ${compiled.sql.slice(0, 200)}`)
    if (shapes.size >= keep) shapes.delete(shapes.keys().next().value!)
    shapes.set(count, compiled)
    return compiled
  }
  return {
    run: async (executor, rows) => {
      const shape = shapeFor(rows.length)
      const parameters: Array<unknown> = new Array(rows.length * columns.length)
      let k = 0
      for (const row of rows) for (const column of columns) parameters[k++] = row[column]
      return executor.executeQuery<R>({ ...shape, parameters })
    }
  }
}

/** The first row of a statement's result, or a defect when there is none (Kysely's `executeTakeFirstOrThrow`). */
export const firstRow = <R>(result: QueryResult<R>, what: string): R => {
  const row = result.rows[0]
  if (row === undefined) throw new Error(`no row: ${what}`)
  return row
}
