import { closeMigratedStores, openMigratedStores, adapterChoices } from "@releasepassport/testing"
import type { MigratedStores } from "@releasepassport/testing"
import { TokenStore } from "@releasepassport/core"
import { Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Tokens } from "../../src/tokens/Tokens.ts"

/** A token's lifetime as its callers give it: days (API, console) or milliseconds (CLI), converted in one place. */
const sqlite = (await adapterChoices()).find((choice) => choice.adapter === "sqlite")!
const DAY_MS = 86_400_000

describe("Tokens.create lifetimes", () => {
  let opened: MigratedStores
  let workspaceId: string
  beforeAll(async () => {
    opened = await openMigratedStores(sqlite)
    workspaceId = (await Effect.runPromise(opened.stores.workspaces.create({ slug: "lifetimes", name: "Lifetimes", now: new Date() }))).id
  })
  afterAll(async () => {
    await closeMigratedStores(opened ?? {})
  })

  const lifetimeOf = (input: { expiresInDays?: number; lifetimeMs?: number }) =>
    Effect.runPromise(
      Effect.flatMap(Tokens, (tokens) => tokens.create({ workspaceId, name: "ci", scopes: ["gate:evaluate"], ...input })).pipe(
        Effect.map(({ token }) => Date.parse(token.expiresAt) - Date.parse(token.createdAt)),
        Effect.provide(Tokens.layer.pipe(Layer.provide(Layer.succeed(TokenStore, opened.stores.tokens))))
      )
    )

  it.each([
    [{ expiresInDays: 7 }, 7 * DAY_MS],
    [{ expiresInDays: 366 }, 366 * DAY_MS],
    [{ lifetimeMs: 12 * 3_600_000 }, 12 * 3_600_000],
    // Days win over milliseconds when a caller passes both.
    [{ expiresInDays: 2, lifetimeMs: 3_600_000 }, 2 * DAY_MS],
    [{}, 90 * DAY_MS],
    // Past the longest lifetime: clamped, whichever unit asked.
    [{ expiresInDays: 400 }, 366 * DAY_MS],
    [{ lifetimeMs: 400 * DAY_MS }, 366 * DAY_MS]
  ])("%o lives %d ms", async (input, expected) => {
    expect(await lifetimeOf(input)).toBe(expected)
  })
})
