// `npm test`: build, type-check, check the policies where opa is available, run every test.
// In CI (CI=true) the policy checks are required; elsewhere they are skipped, loudly, when
// neither opa nor go is installed (the compiled bundle is committed, so nothing else needs them).
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"

const run = (label, command, args) => {
  console.log(`\n== ${label}: ${command} ${args.join(" ")}`)
  const result = spawnSync(command, args, { stdio: "inherit" })
  if (result.status !== 0) {
    console.error(`\n== ${label} failed (exit ${result.status ?? result.signal})`)
    process.exit(result.status ?? 1)
  }
}
const has = (command) => spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0

run("build", "npm", ["run", "build", "--silent"])
run("typecheck", "npx", ["tsc", "-p", "tsconfig.json"])
// The layer rule (domain <- use cases <- adapters and transports) and no import cycles: .dependency-cruiser.cjs.
run("layers", "npm", ["run", "check:layers", "--silent"])
if (process.env.CI === "true" || has("go") || existsSync(".tools/bin/opa")) {
  run("policies", "npm", ["run", "policies:check", "--silent"])
  run("core fixtures", "node", ["packages/core/test/fixtures/build.mjs", "--check"])
} else {
  console.log("\n== policies: SKIPPED (no opa and no go to install it); the committed bundle is tested below")
}
run("tests", "npx", ["vitest", "run", ...process.argv.slice(2)])
