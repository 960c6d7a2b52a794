import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { sql } from "kysely"
import type { SqlDatabase, Tables } from "../src/index.ts"
import { compileOnce, compileRowsOnce } from "../src/stores/CompiledStatement.ts"
import { adapterChoices, closeMigratedStores, openMigratedStores } from "@releasepassport/testing"
import type { TestDatabase } from "@releasepassport/testing"

/** Statements compiled once bind each run's values where the slots were, on every adapter. */
for (const choice of await adapterChoices()) {
  describe.skipIf(choice.skip !== undefined)(`compiled statements on ${choice.adapter}`, () => {
    let testDb: TestDatabase
    let database: SqlDatabase<Tables>

    beforeAll(async () => {
      ;({ testDb, database } = await openMigratedStores(choice))
    })
    afterAll(async () => {
      await closeMigratedStores({ testDb, database })
    })

    it("binds every run's own values, constants of the builder included, and the same slot twice", async () => {
      const insert = compileOnce(database.db, ["id", "name", "at"], (db, slot) =>
        db.insertInto("workspaces").values({ id: slot.id, slug: slot.id, name: slot.name, created_at: slot.at }))
      const byName = compileOnce(database.db, ["name"], (db, slot) =>
        db.selectFrom("workspaces").select(["id", "slug", "name"]).where("name", "=", slot.name).where("name", "!=", "never").orderBy("id"))
      const either = compileOnce(database.db, ["id"], (db, slot) =>
        db.selectFrom("workspaces").select("id").where((eb) => eb.or([eb("id", "=", slot.id), eb("name", "=", slot.id)])))
      const at = "2026-12-02T00:00:00.000Z"
      await insert.run(database.db, { id: "ws_cs_a", name: "compiled-a", at })
      await insert.run(database.db, { id: "ws_cs_b", name: "compiled-b", at })
      await insert.run(database.db, { id: "ws_cs_c", name: "compiled-b", at })
      expect((await byName.run(database.db, { name: "compiled-a" })).rows).toEqual([{ id: "ws_cs_a", slug: "ws_cs_a", name: "compiled-a" }])
      expect((await byName.run(database.db, { name: "compiled-b" })).rows.map((row) => row.id)).toEqual(["ws_cs_b", "ws_cs_c"])
      expect((await byName.run(database.db, { name: "nobody" })).rows).toEqual([])
      expect((await either.run(database.db, { id: "ws_cs_c" })).rows).toEqual([{ id: "ws_cs_c" }])
    })

    it("refuses, when it is made, a slot that is not a parameter or one that became SQL text", () => {
      expect(() => compileOnce(database.db, ["id", "unused"], (db, slot) => db.selectFrom("workspaces").selectAll().where("id", "=", slot.id)))
        .toThrow(/unused/)
      expect(() => compileOnce(database.db, ["id"], (db, slot) => db.selectFrom("workspaces").selectAll().where("id", "=", sql.lit(slot.id))))
        .toThrow(/SQL text/)
    })

    it("compiles a multi-row insert once per row count and binds each run's rows, in order, on any count", async () => {
      const at = "2026-12-02T00:00:00.000Z"
      const insert = compileRowsOnce(database.db, ["id", "slug", "name", "created_at"], (db, rows) =>
        db.insertInto("workspaces").values([...rows]).onConflict((oc) => oc.column("id").doNothing()).returning("id"), 2)
      const rows = (prefix: string, count: number) =>
        Array.from({ length: count }, (_, i) => ({ id: `ws_cr_${prefix}${i}`, slug: `cr-${prefix}${i}`, name: `rows ${prefix}${i}`, created_at: at }))
      // Three counts through a cache of two: the first is compiled again when it comes back.
      for (const [prefix, count] of [["a", 3], ["b", 1], ["c", 3], ["d", 5], ["e", 1]] as const) {
        const inserted = await insert.run(database.db, rows(prefix, count))
        expect(inserted.rows.map((row) => row.id).sort()).toEqual(rows(prefix, count).map((row) => row.id).sort())
      }
      const stored = await database.db.selectFrom("workspaces").select(["id", "slug", "name"]).where("id", "like", "ws_cr_%").orderBy("id").execute()
      expect(stored).toHaveLength(13)
      expect(stored.find((row) => row.id === "ws_cr_d4")).toEqual({ id: "ws_cr_d4", slug: "cr-d4", name: "rows d4" })
      // A row already there is skipped by the conflict clause, the others still go in.
      const again = await insert.run(database.db, [...rows("a", 1), ...rows("f", 1)])
      expect(again.rows).toEqual([{ id: "ws_cr_f0" }])
    })

    it("refuses a multi-row statement whose parameters are not the rows' values in column order", async () => {
      const withConstant = compileRowsOnce(database.db, ["id", "slug"], (db, rows) =>
        db.insertInto("workspaces").values(rows.map((row) => ({ ...row, name: "constant", created_at: "2026-12-02T00:00:00.000Z" }))))
      await expect(withConstant.run(database.db, [{ id: "ws_cr_x", slug: "cr-x" }])).rejects.toThrow(/column order/)
      expect(await database.db.selectFrom("workspaces").select("id").where("id", "=", "ws_cr_x").execute()).toEqual([])
    })
  })
}
