import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url))

export default defineConfig({
  resolve: {
    // Unit tests run against the sources; the black-box tests in test/ start the built server.
    alias: {
      "@releasepassport/core": src("core"),
      "@releasepassport/app": src("app"),
      "@releasepassport/adapters": src("adapters"),
      "@releasepassport/console": src("console"),
      // Before the package: an alias also matches the package's subpaths.
      "@releasepassport/server/api": fileURLToPath(new URL("./packages/server/src/api/index.ts", import.meta.url)),
      "@releasepassport/server": src("server"),
      "@releasepassport/testing": src("testing")
    }
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "test/**/*.test.ts", "policies/test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000
  }
})
