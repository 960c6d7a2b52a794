import { LicenseStore } from "@releasepassport/core"
import type { InstalledLicense } from "@releasepassport/core"
import { Effect } from "effect"
import type { LicenseRow } from "../schema.ts"
import { newId } from "./ids.ts"
import { toCount } from "./SqlRunner.ts"
import type { SqlRunner } from "./SqlRunner.ts"

const FACTS = ["id", "license_id", "customer", "plan", "expires_at", "installed_at"] as const

export const makeLicenseStore = (sql: SqlRunner): LicenseStore["Service"] => {
  const { readTimestamp } = sql.traits
  const toInstalled = (row: Omit<LicenseRow, "document">): InstalledLicense => ({
    id: row.id,
    licenseId: row.license_id,
    customer: row.customer,
    plan: row.plan,
    expiresAt: readTimestamp(row.expires_at),
    installedAt: readTimestamp(row.installed_at)
  })
  // Newest installation first; ids (ULIDs) break ties within one millisecond.
  const newestFirst = (db: SqlRunner["db"]) =>
    db.selectFrom("licenses").orderBy("installed_at", "desc").orderBy("id", "desc")

  return LicenseStore.of({
    install: (input) => {
      const row: LicenseRow = {
        id: newId("lic"),
        license_id: input.licenseId,
        customer: input.customer,
        plan: input.plan,
        expires_at: input.expiresAt.toISOString(),
        document: input.document,
        installed_at: input.now.toISOString()
      }
      return sql.query((db) => db.insertInto("licenses").values(row).execute()).pipe(Effect.as(toInstalled(row)))
    },
    current: sql.query((db) => newestFirst(db).select([...FACTS, "document"]).limit(1).executeTakeFirst()).pipe(
      Effect.map((row) => (row === undefined ? undefined : { license: toInstalled(row), document: row.document }))
    ),
    history: sql.query((db) => newestFirst(db).select(FACTS).execute()).pipe(Effect.map((rows) => rows.map(toInstalled))),
    countServices: ({ workspaceId }) =>
      sql.query((db) =>
        // A service is a (namespace, name) within a workspace: two workspaces' services are two.
        db.selectFrom((eb) => {
          const services = eb.selectFrom("passports").select(["workspace_id", "service_namespace", "service_name"]).distinct()
          return (workspaceId === undefined ? services : services.where("workspace_id", "=", workspaceId)).as("services")
        }).select((eb) => eb.fn.countAll().as("n")).executeTakeFirstOrThrow()
      ).pipe(Effect.map((row) => toCount(row.n)))
  })
}
