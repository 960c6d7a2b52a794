// npm run policies:test: opa test on policies/src with the shared gate cases, and coverage
// (the same step as `releasepassport policy test`).
import { pathToFileURL } from "node:url"
import { main, testPolicies } from "./lib.mjs"

export const runTests = testPolicies

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main(runTests)
