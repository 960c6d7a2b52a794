// Shared by build.mjs, test.mjs and check.mjs. Plain Node ESM, no build step.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import {
  buildProject,
  checkProject,
  Failure,
  fmtProject,
  projectSources,
  runOpa,
  sourceRevision as projectRevision,
  testProject,
  withTempDir,
  writeCapabilities as writeProjectCapabilities
} from "../../packages/cli/src/policy/PolicyProject.mjs"

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

export { Failure }

/** Runs scripts/opa.sh (the pinned OPA) in the repository root. */
export const opa = (args, { capture = false } = {}) => runOpa(path.join(repoRoot, "scripts/opa.sh"), args, { cwd: repoRoot, capture })

// The steps themselves are the CLI's (`releasepassport policy build|test|fmt|check`), one
// implementation for both: this repository's policies/ is a policy project like any team's.
const opaScript = path.join(repoRoot, "scripts/opa.sh")
const project = { cwd: repoRoot, dir: "policies", opa: opaScript, sdkFile: path.join(repoRoot, sdkCapabilitiesFile) }

/** The hand-edited sources that go into the bundle: every .rego except tests, and data.json. */
export const bundleSources = () => projectSources(project)

/** `src-` + 12 hex of a sha256 over the bundle sources (see PolicyProject.mjs). */
export const sourceRevision = (files = bundleSources()) => projectRevision({ cwd: repoRoot, files })

export const writeCapabilities = (dir) => writeProjectCapabilities(dir, project.sdkFile)

export { withTempDir }

export const withTempDirAsync = async (fn) => {
  const dir = mkdtempSync(path.join(tmpdir(), "releasepassport-policies-"))
  try {
    return await fn(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Compiles the sources to a wasm bundle at `output` (absolute path); returns the revision. */
export const buildBundle = (output) => buildProject({ ...project, output })

/** opa test with the cases, and coverage (see PolicyProject.mjs). */
export const testPolicies = () => testProject(project)

/** opa check --strict of the sources. */
export const checkStrictly = () => checkProject(project)

/** opa fmt --fail of the sources. */
export const checkFormatted = () => fmtProject({ ...project, check: true })

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
