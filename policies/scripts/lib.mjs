// Shared by build.mjs, test.mjs and check.mjs. Plain Node ESM, no build step.
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"

export const repoRoot = fileURLToPath(new URL("../../", import.meta.url))

// Paths relative to the repository root: opa runs there, and the .rego paths it records in the
// bundle must not depend on where the repository is checked out.
export const srcDir = "policies/src"
export const casesFile = "policies/cases/gate-cases.json"
export const bundleFile = "policies/bundle/bundle.tar.gz"
export const entrypoint = "releasepassport/gate/decision"
export const sdkCapabilitiesFile = "node_modules/@open-policy-agent/opa-wasm/capabilities.json"
// opa test loads the cases here (see policies/src/cases_test.rego).
export const casesDataPath = "releasepassport.cases"

export class Failure extends Error {}

/** Runs scripts/opa.sh (the pinned OPA) in the repository root. */
export const opa = (args, { capture = false } = {}) => {
  const result = spawnSync(path.join(repoRoot, "scripts/opa.sh"), args, {
    cwd: repoRoot,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit"
  })
  if (result.error) throw new Failure(`could not run scripts/opa.sh: ${result.error.message}`)
  return { status: result.status ?? 1, stdout: result.stdout ?? "" }
}

/** The hand-edited sources that go into the bundle: every .rego except tests, and data.json. */
export const bundleSources = () =>
  readdirSync(path.join(repoRoot, srcDir))
    .filter((name) => (name.endsWith(".rego") && !name.endsWith("_test.rego")) || name === "data.json")
    .sort()
    .map((name) => `${srcDir}/${name}`)

/**
 * `src-` + 12 hex of a sha256 over the sorted bundle sources (name, length, bytes), so the same
 * sources always give the same revision, wherever and whenever they are built.
 */
export const sourceRevision = (files = bundleSources()) => {
  const hash = createHash("sha256")
  for (const file of files) {
    const bytes = readFileSync(path.join(repoRoot, file))
    hash.update(`${path.posix.basename(file)}\n${bytes.length}\n`)
    hash.update(bytes)
  }
  return `src-${hash.digest("hex").slice(0, 12)}`
}

/**
 * The SDK's capabilities (its built-ins and wasm ABI versions) plus the `rego_v1` parser feature.
 * OPA 1.x refuses to parse v1 Rego against a capabilities file without that feature, and the file
 * opa-wasm 1.10 ships predates it. Features are syntax only: the built-ins and ABI the compiled
 * policy may use are still exactly the SDK's.
 */
export const writeCapabilities = (dir) => {
  const sdk = JSON.parse(readFileSync(path.join(repoRoot, sdkCapabilitiesFile), "utf8"))
  const file = path.join(dir, "capabilities.json")
  writeFileSync(file, JSON.stringify({ ...sdk, features: [...new Set([...(sdk.features ?? []), "rego_v1"])] }))
  return file
}

export const withTempDir = (fn) => {
  const dir = mkdtempSync(path.join(tmpdir(), "releasepassport-policies-"))
  try {
    return fn(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export const withTempDirAsync = async (fn) => {
  const dir = mkdtempSync(path.join(tmpdir(), "releasepassport-policies-"))
  try {
    return await fn(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Compiles the sources to a wasm bundle at `output` (absolute path); returns the revision. */
export const buildBundle = (output) =>
  withTempDir((dir) => {
    const files = bundleSources()
    const revision = sourceRevision(files)
    const { status } = opa([
      "build",
      "--target", "wasm",
      "--entrypoint", entrypoint,
      "--capabilities", writeCapabilities(dir),
      "--revision", revision,
      "--output", path.join(dir, "bundle.tar.gz"),
      ...files
    ])
    if (status !== 0) throw new Failure(`opa build failed (exit ${status})`)
    mkdirSync(path.dirname(output), { recursive: true })
    // Written in place only once complete, so a failed build never leaves a broken bundle behind.
    writeFileSync(`${output}.tmp`, readFileSync(path.join(dir, "bundle.tar.gz")))
    renameSync(`${output}.tmp`, output)
    return revision
  })

/** Entry point wrapper: prints a Failure's message and exits non-zero. */
export const main = async (fn) => {
  try {
    await fn()
  } catch (error) {
    if (error instanceof Failure) {
      console.error(`\n${error.message}`)
      process.exit(1)
    }
    throw error
  }
}
