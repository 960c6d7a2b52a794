import { expect } from "vitest"
import { cli } from "./processes.ts"

/** `releasepassport token create`, as an operator would run it; returns the value and the id. */
export const createToken = async (database: string, ...args: Array<string>) => {
  const result = await cli(["token", "create", "--database", database, ...args])
  expect(result.code, result.stderr).toBe(0)
  const value = result.stdout.trim()
  expect(value).toMatch(/^rp_[0-9A-Za-z]{49}$/)
  const id = /created (tok_\w+)/.exec(result.stderr)?.[1]
  expect(id).toBeDefined()
  return { value, id: id! }
}
