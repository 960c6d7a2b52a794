import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

/**
 * The policies that ship with Release Passport (`policies/bundle/bundle.tar.gz` at the
 * repository root). Found relative to this module, from the sources and from `dist/`.
 */
export const defaultPolicyBundlePath = (): string => {
  for (const relative of ["../../../policies/bundle/bundle.tar.gz", "../../../../policies/bundle/bundle.tar.gz"]) {
    const candidate = fileURLToPath(new URL(relative, import.meta.url))
    if (existsSync(candidate)) return candidate
  }
  return fileURLToPath(new URL("../../../policies/bundle/bundle.tar.gz", import.meta.url))
}
