// npm run policies:check: format, strict check, tests with coverage, rule metadata against the
// cases, and proof that the committed bundle is what the sources compile to.
import { isDeepStrictEqual } from "node:util"
import { readFileSync, writeFileSync } from "node:fs"
import path from "node:path"
import { loadPolicy } from "@open-policy-agent/opa-wasm"
import { parseTarGzip } from "nanotar"
import { buildBundle, bundleFile, checkFormatted, checkStrictly, bundleSources, casesFile, Failure, main, opa, repoRoot, srcDir, withTempDirAsync } from "./lib.mjs"
import { runTests } from "./test.mjs"

const step = (title) => console.log(`\n== ${title}`)

const checkFormat = () => {
  checkFormatted()
  console.log("formatted")
}

const checkStrict = () => {
  checkStrictly()
  console.log("ok")
}

/**
 * Every deny/warn rule carries METADATA with a title, a description and custom.code/severity, and
 * the codes it declares are exactly the codes the cases expect, under the same severity. So a
 * renamed code, a rule without a case, or a case for a code no rule declares all fail here.
 */
const checkMetadata = () => {
  const { status, stdout } = opa(["inspect", "--annotations", "--format", "json", srcDir], { capture: true })
  if (status !== 0) throw new Failure("opa inspect failed")
  const declared = new Set()
  let rules = 0
  for (const entry of JSON.parse(stdout).annotations ?? []) {
    const kind = entry.path.at(-1)?.value
    if (kind !== "deny" && kind !== "warn") continue
    rules++
    const where = `${entry.location.file}:${entry.location.row}`
    const { title, description, custom } = entry.annotations
    if (!title || !description || !custom?.code) throw new Failure(`${where}: METADATA needs title, description and custom.code`)
    if (custom.severity !== kind) throw new Failure(`${where}: custom.severity is ${custom.severity}, the rule is ${kind}`)
    declared.add(`${kind} ${custom.code}`)
  }
  const sources = bundleSourcesText()
  const definitions = (sources.match(/^(deny|warn) contains /gm) ?? []).length
  if (definitions !== rules) throw new Failure(`${definitions} deny/warn rules in ${srcDir} but ${rules} METADATA blocks: annotate every rule`)

  const expected = new Set()
  for (const testCase of JSON.parse(readFileSync(path.join(repoRoot, casesFile), "utf8"))) {
    for (const kind of ["deny", "warn"]) for (const code of testCase.expect[kind]) expected.add(`${kind} ${code}`)
  }
  const neverExpected = [...declared].filter((entry) => !expected.has(entry))
  const undeclared = [...expected].filter((entry) => !declared.has(entry))
  if (neverExpected.length > 0) throw new Failure(`no case in ${casesFile} expects: ${neverExpected.join(", ")}`)
  if (undeclared.length > 0) throw new Failure(`cases expect findings no rule declares in METADATA: ${undeclared.join(", ")}`)
  console.log(`${rules} rules, ${declared.size} code/severity pairs, all declared and all expected by cases`)
}

const bundleSourcesText = () =>
  bundleSources()
    .filter((file) => file.endsWith(".rego"))
    .map((file) => readFileSync(path.join(repoRoot, file), "utf8"))
    .join("\n")

const readBundle = async (file) => {
  const entries = await parseTarGzip(readFileSync(file))
  const byName = new Map()
  for (const entry of entries) if (entry.type === "file" || entry.type === undefined) byName.set(entry.name.replace(/^\/+/, ""), entry.data ?? new Uint8Array())
  return byName
}

/**
 * opa build output is compared by content, not bytes: the tarball is byte-identical today, but its
 * gzip stream depends on the Go version opa was built with, and that is not part of what we pin.
 * What the engine loads is policy.wasm (bytes), data.json and .manifest (parsed); the .rego copies
 * are compared as text.
 */
const compareBundles = async (committedFile, rebuiltFile) => {
  const committed = await readBundle(committedFile)
  const rebuilt = await readBundle(rebuiltFile)
  const differences = []
  for (const name of new Set([...committed.keys(), ...rebuilt.keys()])) {
    const a = committed.get(name)
    const b = rebuilt.get(name)
    if (!a || !b) differences.push(`${name}: only in the ${a ? "committed" : "rebuilt"} bundle`)
    else if (name === "data.json" || name === ".manifest") {
      const text = new TextDecoder()
      if (!isDeepStrictEqual(JSON.parse(text.decode(a)), JSON.parse(text.decode(b)))) differences.push(`${name}: differs`)
    } else if (Buffer.compare(Buffer.from(a), Buffer.from(b)) !== 0) differences.push(`${name}: differs`)
  }
  return differences
}

const checkBundle = () =>
  withTempDirAsync(async (dir) => {
    const committed = path.join(repoRoot, bundleFile)
    const rebuilt = path.join(dir, "bundle.tar.gz")
    const revision = buildBundle(rebuilt)
    let differences
    try {
      differences = await compareBundles(committed, rebuilt)
    } catch (error) {
      differences = [`${bundleFile} cannot be read: ${error instanceof Error ? error.message || error.code || error.name : String(error)}`]
    }
    if (differences.length > 0) {
      throw new Failure(`policies/bundle is stale: run npm run policies:build\n  ${differences.join("\n  ")}`)
    }
    const identical = Buffer.compare(readFileSync(committed), readFileSync(rebuilt)) === 0
    console.log(`${bundleFile} matches the sources (revision ${revision}; tarball ${identical ? "byte-identical" : "same contents, different bytes"})`)
  })

/**
 * The shared cases compare codes; here the whole decision (messages, remediation, evidence ids)
 * from the committed wasm is compared with opa's own evaluator, case by case. Set order differs
 * between the two (wasm does not sort sets), so findings are compared as sets.
 */
const checkWasmParity = () =>
  withTempDirAsync(async (dir) => {
    const bundle = await readBundle(path.join(repoRoot, bundleFile))
    const shipped = JSON.parse(new TextDecoder().decode(bundle.get("data.json"))).releasepassport.config
    const cases = JSON.parse(readFileSync(path.join(repoRoot, casesFile), "utf8"))
    const rego = bundleSources().filter((file) => file.endsWith(".rego")).flatMap((file) => ["--data", file])
    const canonical = (decision) =>
      decision === undefined
        ? "undefined"
        : Object.fromEntries(["deny", "warn"].map((kind) => [kind, decision[kind].map((finding) => JSON.stringify(finding, Object.keys(finding).sort())).sort()]))
    const mismatches = []
    for (const testCase of cases) {
      const data = { releasepassport: { config: { ...shipped, ...testCase.data } } }
      let policy
      try {
        policy = await loadPolicy(bundle.get("policy.wasm"))
      } catch (error) {
        throw new Failure(`policy.wasm does not load: ${String(error)}`)
      }
      policy.setData(data)
      const fromWasm = policy.evaluate(testCase.input)[0]?.result
      writeFileSync(path.join(dir, "data.json"), JSON.stringify(data))
      writeFileSync(path.join(dir, "input.json"), JSON.stringify(testCase.input))
      const { status, stdout } = opa(
        ["eval", "--format", "json", ...rego, "--data", path.join(dir, "data.json"), "--input", path.join(dir, "input.json"), "data.releasepassport.gate.decision"],
        { capture: true }
      )
      if (status !== 0) throw new Failure(`opa eval failed for case ${JSON.stringify(testCase.name)}`)
      const fromOpa = JSON.parse(stdout).result?.[0]?.expressions?.[0]?.value
      if (!isDeepStrictEqual(canonical(fromWasm), canonical(fromOpa))) mismatches.push(testCase.name)
    }
    if (mismatches.length > 0) throw new Failure(`wasm and opa disagree on: ${mismatches.join("; ")}`)
    console.log(`${cases.length} cases: identical findings from policy.wasm (opa-wasm) and opa eval`)
  })

await main(async () => {
  step("opa fmt")
  checkFormat()
  step("opa check --strict")
  checkStrict()
  step("opa test")
  runTests()
  step("rule metadata")
  checkMetadata()
  step("bundle")
  await checkBundle()
  step("wasm and opa agree")
  await checkWasmParity()
  console.log("\npolicies: all checks passed")
})
