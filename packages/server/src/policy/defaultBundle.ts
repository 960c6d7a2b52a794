import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

/**
 * The policies that ship with Release Passport. The build copies the compiled bundle
 * (`policies/bundle/bundle.tar.gz` at the repository root) into `dist/policies/`, so an
 * installed `@releasepassport/server` carries it; that copy is looked for first (beside the
 * built module), then the repository's, from the sources and from `dist/`.
 */
export const defaultPolicyBundlePath = (): string => {
  for (const relative of ["./policies/bundle.tar.gz", "../../../policies/bundle/bundle.tar.gz", "../../../../policies/bundle/bundle.tar.gz"]) {
    const candidate = fileURLToPath(new URL(relative, import.meta.url))
    if (existsSync(candidate)) return candidate
  }
  return fileURLToPath(new URL("./policies/bundle.tar.gz", import.meta.url))
}
