// A policy project: src/ (Rego rules, their *_test.rego tests, data.json), cases/gate-cases.json.
// The steps that build, test, format and check one, shared by `releasepassport policy ...` and by
// this repository's own `npm run policies:*` scripts (whose project is policies/). Plain Node ESM,
// so the scripts run it without a build step; the CLI bundles it.
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import path from "node:path"
import { gunzipSync, gzipSync } from "node:zlib"

export const entrypoint = "releasepassport/gate/decision"
// opa test loads the cases here (see src/cases_test.rego).
export const casesDataPath = "releasepassport.cases"
export const minimumCoverage = 90
/** The project's cases, and where a bundle carries them (the server runs them on upload). */
export const casesFile = "cases/gate-cases.json"
export const bundleCasesPath = "cases/gate-cases.json"

/** A failure to report as one line (the callers print it and exit non-zero). */
export class Failure extends Error {}

/** The capabilities file the SDK ships: the built-ins and ABI versions it can evaluate. */
export const sdkCapabilitiesFile = () => {
  const entry = createRequire(import.meta.url).resolve("@open-policy-agent/opa-wasm")
  return path.join(path.dirname(entry), "..", "capabilities.json")
}

/**
 * Runs opa (`command` is a path or a name on PATH) in `cwd`. A missing opa is one clear line
 * saying how to get one, not a stack trace.
 */
export const runOpa = (command, args, { cwd, capture = false }) => {
  const result = spawnSync(command, args, {
    cwd,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit"
  })
  if (result.error) {
    if (result.error.code === "ENOENT") {
      throw new Failure(
        `opa not found (${command}): install it from https://www.openpolicyagent.org/docs/latest/#running-opa ` +
          "(or go install github.com/open-policy-agent/opa@v1.x) and put it on PATH, or pass --opa PATH"
      )
    }
    throw new Failure(`could not run ${command}: ${result.error.message}`)
  }
  return { status: result.status ?? 1, stdout: result.stdout ?? "" }
}

/** The project's bundle sources, relative to `cwd`: every .rego under src/ except tests, and data.json; sorted. */
export const projectSources = ({ cwd, dir }) =>
  readdirSync(path.join(cwd, dir, "src"))
    .filter((name) => (name.endsWith(".rego") && !name.endsWith("_test.rego")) || name === "data.json")
    .sort()
    .map((name) => path.posix.join(dir, "src", name))

/**
 * `src-` + 12 hex of a sha256 over the sorted sources (name, length, bytes): the same sources
 * give the same revision wherever and whenever they are built.
 */
export const sourceRevision = ({ cwd, files }) => {
  const hash = createHash("sha256")
  for (const file of files) {
    const bytes = readFileSync(path.join(cwd, file))
    hash.update(`${path.posix.basename(file)}\n${bytes.length}\n`)
    hash.update(bytes)
  }
  return `src-${hash.digest("hex").slice(0, 12)}`
}

/**
 * The SDK's capabilities plus the `rego_v1` parser feature (OPA 1.x refuses v1 Rego against a
 * capabilities file without it; opa-wasm 1.10's predates it). Features are syntax only.
 */
export const writeCapabilities = (dir, sdkFile = sdkCapabilitiesFile()) => {
  const sdk = JSON.parse(readFileSync(sdkFile, "utf8"))
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

/** A ustar header of a regular file, mode 0644, owner 0, mtime 0 (fixed, so builds repeat). */
const tarHeader = (name, size) => {
  const header = Buffer.alloc(512)
  const field = (offset, length, value) => header.write(value, offset, length, "ascii")
  field(0, 100, name)
  field(100, 8, "0000644\0")
  field(108, 8, "0000000\0")
  field(116, 8, "0000000\0")
  field(124, 12, `${size.toString(8).padStart(11, "0")}\0`)
  field(136, 12, "00000000000\0")
  field(148, 8, "        ")
  field(156, 1, "0")
  field(257, 8, "ustar\u000000")
  let sum = 0
  for (const byte of header) sum += byte
  field(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `)
  return header
}

/**
 * The bundle opa built with the project's cases file added at `bundleCasesPath`. OPA ignores
 * files it does not know in a bundle. opa's entries are kept byte for byte (the new one goes
 * where its archive ends), so the same sources and cases give the same bytes.
 */
export const withCases = (bundle, cases) => {
  const tar = gunzipSync(bundle)
  let end = 0
  while (end + 512 <= tar.length && tar.subarray(end, end + 512).some((byte) => byte !== 0)) {
    const size = Number.parseInt(tar.toString("ascii", end + 124, end + 136).replace(/\0.*$/, "").trim() || "0", 8)
    end += 512 + Math.ceil(size / 512) * 512
  }
  if (end + 512 > tar.length) throw new Failure("opa build wrote an archive without an end: cannot add the cases")
  const data = Buffer.from(cases)
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512)
  return gzipSync(Buffer.concat([tar.subarray(0, end), tarHeader(`/${bundleCasesPath}`, data.length), data, padding, Buffer.alloc(1024)]))
}

/**
 * Compiles the project to a wasm bundle at `output` (absolute), against the SDK's capabilities
 * and the fixed entrypoint, with the project's cases file inside when it has one; returns the
 * revision (`revision`, else the sources' hash: the rules and data, not the cases).
 */
export const buildProject = ({ cwd, dir, output, opa, revision, sdkFile }) =>
  withTempDir((temp) => {
    const files = projectSources({ cwd, dir })
    const rev = revision ?? sourceRevision({ cwd, files })
    const { status } = runOpa(opa, [
      "build",
      "--target", "wasm",
      "--entrypoint", entrypoint,
      "--capabilities", writeCapabilities(temp, sdkFile),
      "--revision", rev,
      "--output", path.join(temp, "bundle.tar.gz"),
      ...files
    ], { cwd })
    if (status !== 0) throw new Failure(`opa build failed (exit ${status})`)
    mkdirSync(path.dirname(output), { recursive: true })
    // Written in place only once complete, so a failed build never leaves a broken bundle behind.
    const built = readFileSync(path.join(temp, "bundle.tar.gz"))
    const cases = path.join(cwd, dir, casesFile)
    writeFileSync(`${output}.tmp`, existsSync(cases) ? withCases(built, readFileSync(cases)) : built)
    renameSync(`${output}.tmp`, output)
    return rev
  })

/** `opa test` of src/ with the cases, then coverage of the rules (tests excluded) against `minimumCoverage`. */
export const testProject = ({ cwd, dir, opa, log = console.log }) => {
  const paths = [path.posix.join(dir, "src"), `${casesDataPath}:${path.posix.join(dir, "cases/gate-cases.json")}`]
  const { status } = runOpa(opa, ["test", ...paths], { cwd })
  if (status !== 0) throw new Failure(`opa test failed (exit ${status})`)

  const coverage = runOpa(opa, ["test", "--coverage", "--format", "json", ...paths], { cwd, capture: true })
  if (coverage.status !== 0) throw new Failure(`opa test --coverage failed (exit ${coverage.status})`)
  const report = JSON.parse(coverage.stdout)
  let covered = 0
  let notCovered = 0
  const uncovered = []
  for (const [file, result] of Object.entries(report.files)) {
    if (file.endsWith("_test.rego")) continue
    covered += result.covered_lines ?? 0
    notCovered += result.not_covered_lines ?? 0
    for (const range of result.not_covered ?? []) uncovered.push(`${file}:${range.start.row}`)
  }
  const policyCoverage = covered + notCovered === 0 ? 0 : (100 * covered) / (covered + notCovered)
  log(`coverage: policies ${policyCoverage.toFixed(1)}% (${covered}/${covered + notCovered} lines), including tests ${report.coverage.toFixed(1)}%`)
  if (uncovered.length > 0) log(`not covered: ${uncovered.join(", ")}`)
  if (policyCoverage < minimumCoverage) {
    throw new Failure(`policy coverage ${policyCoverage.toFixed(1)}% is under ${minimumCoverage}%: add tests in ${dir}/src/*_test.rego`)
  }
}

/** `opa fmt`: rewrites src/ in place, or (`check`) fails listing the files that need it. */
export const fmtProject = ({ cwd, dir, opa, check = false }) => {
  const src = path.posix.join(dir, "src")
  const { status } = runOpa(opa, check ? ["fmt", "--fail", "--list", src] : ["fmt", "--write", src], { cwd })
  if (status !== 0) throw new Failure(check ? `these files need formatting: run opa fmt --write ${src}` : `opa fmt failed (exit ${status})`)
}

/**
 * `opa check --strict` of src/, tests included. Not against the SDK's capabilities: those are for
 * what goes into the bundle (the build enforces them), and tests may use syntax they lack.
 */
export const checkProject = ({ cwd, dir, opa }) => {
  const { status } = runOpa(opa, ["check", "--strict", path.posix.join(dir, "src")], { cwd })
  if (status !== 0) throw new Failure(`opa check --strict failed (exit ${status})`)
}
