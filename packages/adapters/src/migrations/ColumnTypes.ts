/**
 * The column types a migration may ask for beyond the portable ones (text, integer).
 * Passed in by the adapter, so a migration names what it needs and not a dialect.
 * Frozen like the migrations: change by adding, never by editing.
 */
export interface ColumnTypes {
  readonly timestamp: "timestamptz" | "text"
  readonly json: "jsonb" | "text"
  /** Raw bytes (policy bundles). */
  readonly binary: "bytea" | "blob"
}
