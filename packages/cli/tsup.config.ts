import { copyFileSync, mkdirSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import type { Plugin } from "esbuild"
import { defineConfig } from "tsup"

const here = path.dirname(fileURLToPath(import.meta.url))
const packages = path.resolve(here, "..")
const WORKSPACE = /^@releasepassport\/(core|app|adapters|server|console)(\/api)?$/
/** A package's entry point, as tsconfig.json maps it for the type-checker. */
const ENTRY_POINTS: Record<string, string> = { "@releasepassport/server/api": "server/src/api/index.ts" }
const WORKSPACE_SOURCES = new RegExp(`^${packages.replaceAll("\\", "/")}/(core|app|adapters|server|console)/src/`)

/**
 * The CLI is one bundle: start-up of a command is dominated by loading modules (hundreds of
 * small files of effect and of our packages), not by running them. Our workspace packages are
 * bundled from their sources, file by file, and marked free of side effects, so that a file
 * nothing reachable uses is left out and a command loads only what it imports (a handler
 * loaded with `import()` becomes its own chunk, loaded when that command runs). Effect is
 * bundled too, and must be: the server, the console and the CLI run on one copy of it.
 */
const workspaceSources: Plugin = {
  name: "workspace-sources",
  setup(build) {
    build.onResolve({ filter: WORKSPACE }, (args) => ({
      path: path.join(packages, ENTRY_POINTS[args.path] ?? `${args.path.slice("@releasepassport/".length)}/src/index.ts`),
      sideEffects: false
    }))
    build.onResolve({ filter: /^\./ }, async (args) => {
      if (args.pluginData === "workspace-sources" || !WORKSPACE_SOURCES.test(args.importer.replaceAll("\\", "/"))) return undefined
      const resolved = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: "workspace-sources" })
      return resolved.errors.length > 0 ? { errors: resolved.errors } : { path: resolved.path, sideEffects: false }
    })
  }
}

export default defineConfig({
  entry: {
    cli: "src/cli.ts",
    // The server's policy threads load this file by path, beside the bundle (PolicyWorkerPool).
    "policy-worker": "../server/src/policy/policyWorker.ts"
  },
  format: ["esm"],
  target: "node22",
  platform: "node",
  sourcemap: true,
  clean: true,
  splitting: true,
  // Keep `node:` in imports: some built-ins exist only under it (node:sqlite, in bundled undici too).
  removeNodeProtocol: false,
  // Bundled: ours and effect (with its own dependencies). External: every other package
  // (the package.json dependencies), loaded from node_modules when a command needs it.
  noExternal: [/^@releasepassport\//, /^effect(\/|$)/, /^@effect\//, "undici", "ws"],
  esbuildPlugins: [workspaceSources],
  // Bundled CommonJS (ws, inside the HTTP server) calls require for Node's built-ins.
  banner: { js: 'import { createRequire as __bundleRequire } from "node:module"; const require = __bundleRequire(import.meta.url);' },
  esbuildOptions(options) {
    // The console's templates (bundled with the server) are JSX for Preact's string renderer.
    options.jsx = "automatic"
    options.jsxImportSource = "preact"
  },
  // The default policies travel with the bundle, where the server's defaultBundle looks first.
  onSuccess: async () => {
    mkdirSync("dist/policies", { recursive: true })
    copyFileSync("../../policies/bundle/bundle.tar.gz", "dist/policies/bundle.tar.gz")
  }
})
