import { Config, Console, Effect, Option } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { fail } from "../common.ts"
import { buildProject, checkProject, Failure, fmtProject, testProject } from "./PolicyProject.mjs"

/** `--opa`, else `RELEASEPASSPORT_OPA`, else `opa` from PATH. */
export const opaFlag = Flag.String("opa").pipe(
  Flag.withDescription("The opa binary (a path, or a name on PATH). Env: RELEASEPASSPORT_OPA"),
  Flag.withFallbackConfig(Config.String("RELEASEPASSPORT_OPA")),
  Flag.withDefault("opa")
)

const dirArgument = Argument.String("dir").pipe(Argument.withDescription("The policy project (src/, cases/), as written by `policy init`"))

/** Runs a project step; its failures (opa missing, a failing test) are one line, exit 1. */
export const step = <A>(run: () => A) =>
  Effect.try({ try: run, catch: (error) => error }).pipe(
    Effect.catch((error) => fail(error instanceof Failure ? error.message : `unexpected failure: ${String(error)}`))
  )

/** The shipped policy project (this installation's policies/), from the sources or from dist/. */
const shippedProject = (): string | undefined => {
  for (const relative of ["../../../policies", "../../../../policies"]) {
    const candidate = fileURLToPath(new URL(relative, import.meta.url))
    if (existsSync(path.join(candidate, "src", "decision.rego"))) return candidate
  }
  return undefined
}

const README = `# Release policies

Your workspace's gate rules, in Rego, compiled to WebAssembly and evaluated by Release Passport.
Started from the rules Release Passport ships; change them freely.

    src/                  the rules (*.rego), their tests (*_test.rego), parameters (data.json)
    cases/gate-cases.json input + the codes it must give, run by \`policy test\`

## Change a rule

1. Edit or add a rule in \`src/<group>.rego\` (package \`releasepassport.gate\`), with a METADATA block
   (title, description, custom.code, custom.severity). A deny finding blocks under enforce; warn never blocks.
2. Add a test beside it (\`src/<group>_test.rego\`) and a case in \`cases/gate-cases.json\`.
3. \`releasepassport policy fmt .\`, \`releasepassport policy test .\` (tests, cases, coverage >= 90%).
4. \`releasepassport policy build . -o bundle.tar.gz\`, then \`policy push bundle.tar.gz\` and
   \`policy activate <digest>\` (a token with scope policy:write). Every server switches within seconds.

Tune parameters (required evidence per environment, maximum evidence age, protected environments)
in \`src/data.json\` without touching the rules. Policies have no clock or network: the server passes
\`input.now\` and each evidence item's \`ageSeconds\`. Only built-ins the SDK ships can be used;
\`policy build\` refuses others. See docs/policies.md in the Release Passport repository.
`

const init = Command.make(
  "init",
  { dir: dirArgument },
  Effect.fn(function*(flags) {
    const shipped = shippedProject()
    if (shipped === undefined) return yield* fail("the shipped policies are not found next to this installation")
    if (existsSync(flags.dir) && readdirSync(flags.dir).length > 0) return yield* fail(`${flags.dir} exists and is not empty`)
    mkdirSync(path.join(flags.dir, "cases"), { recursive: true })
    cpSync(path.join(shipped, "src"), path.join(flags.dir, "src"), { recursive: true })
    cpSync(path.join(shipped, "cases", "gate-cases.json"), path.join(flags.dir, "cases", "gate-cases.json"))
    writeFileSync(path.join(flags.dir, "README.md"), README)
    yield* Console.log(`wrote ${flags.dir}: src/ (rules, tests, data.json), cases/gate-cases.json, README.md`)
  })
).pipe(Command.withDescription("Write a policy project: the default rules, their tests, data.json, the cases and a README."))

const build = Command.make(
  "build",
  {
    dir: dirArgument,
    output: Flag.String("output").pipe(Flag.withAlias("o"), Flag.withDescription("Where to write the bundle"), Flag.withDefault("bundle.tar.gz")),
    revision: Flag.String("revision").pipe(Flag.withDescription("The bundle's revision; default: src- and a hash of the sources"), Flag.optional),
    opa: opaFlag
  },
  Effect.fn(function*(flags) {
    const revision = yield* step(() =>
      buildProject({
        cwd: path.resolve(flags.dir),
        dir: ".",
        output: path.resolve(flags.output),
        opa: flags.opa,
        revision: Option.getOrUndefined(flags.revision)
      })
    )
    yield* Console.log(`built ${flags.output} (revision ${revision})`)
  })
).pipe(Command.withDescription(
  "Compile the project to a wasm bundle with opa, against the SDK's capabilities and the entrypoint releasepassport/gate/decision."
))

const test = Command.make(
  "test",
  { dir: dirArgument, opa: opaFlag },
  Effect.fn(function*(flags) {
    yield* step(() => testProject({ cwd: path.resolve(flags.dir), dir: ".", opa: flags.opa }))
  })
).pipe(Command.withDescription("opa test of the rules with the cases, and coverage of the rules (fails under 90%)."))

const fmt = Command.make(
  "fmt",
  {
    dir: dirArgument,
    check: Flag.Boolean("check").pipe(Flag.withDescription("Only fail when a file needs formatting"), Flag.withDefault(false)),
    opa: opaFlag
  },
  Effect.fn(function*(flags) {
    yield* step(() => fmtProject({ cwd: path.resolve(flags.dir), dir: ".", opa: flags.opa, check: flags.check }))
  })
).pipe(Command.withDescription("opa fmt of the rules and tests (in place; --check only reports)."))

const check = Command.make(
  "check",
  { dir: dirArgument, opa: opaFlag },
  Effect.fn(function*(flags) {
    const where = { cwd: path.resolve(flags.dir), dir: ".", opa: flags.opa }
    yield* step(() => fmtProject({ ...where, check: true }))
    yield* step(() => checkProject(where))
    yield* step(() => testProject(where))
    yield* Console.log("policy check: formatted, strict check passed, tests and cases passed")
  })
).pipe(Command.withDescription("Everything before a push: fmt --check, opa check --strict against the SDK's capabilities, policy test."))

export const policyAuthoringCommands = [init, build, test, fmt, check] as const
