/**
 * The layer rule and no cycles, checked on every `npm test` (see scripts/test.mjs).
 *
 *   core (domain) ← app (use cases) ← adapters, server (HTTP API), console, cli
 *
 * The domain imports nothing of ours; the use cases only the domain; adapters implement the
 * domain's ports and import no use case or transport; the server composes everything but the
 * CLI; nothing imports the CLI.
 */
const layer = (name, from, forbidden) => ({
  name,
  severity: "error",
  comment: `${from} must not import ${forbidden.join(", ")}`,
  from: { path: `^packages/${from}/src/` },
  to: { path: `^packages/(${forbidden.join("|")})/src/` }
})

module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      severity: "error",
      comment: "Import cycles make the layers meaningless and the start-up order fragile.",
      from: {},
      to: { circular: true }
    },
    layer("domain-is-pure", "core", ["app", "adapters", "server", "console", "cli"]),
    layer("use-cases-depend-on-the-domain-only", "app", ["adapters", "server", "console", "cli"]),
    layer("adapters-import-no-use-case-or-transport", "adapters", ["app", "server", "console", "cli"]),
    layer("console-is-a-transport-beside-the-api", "console", ["adapters", "server", "cli"]),
    layer("server-imports-no-cli", "server", ["cli"]),
    {
      name: "domain-does-no-io",
      severity: "error",
      comment: "Core does no I/O of its own: callers hand it bytes, rows and the clock.",
      from: { path: "^packages/core/src/" },
      to: { path: "^(node:)?(fs|fs/promises|net|http|https|child_process|worker_threads|dgram|dns)$", dependencyTypes: ["core"] }
    },
    {
      name: "no-reaching-into-another-package",
      severity: "error",
      comment: "Packages meet through their entry points (@releasepassport/<name>, and the server's API definition alone: @releasepassport/server/api), never through each other's files.",
      from: { path: "^packages/([^/]+)/src/" },
      to: { path: "^packages/([^/]+)/src/", pathNot: ["^packages/$1/src/", "^packages/[^/]+/src/index\\.ts$", "^packages/server/src/api/index\\.ts$"] }
    },
    {
      name: "test-helpers-live-in-one-place",
      severity: "error",
      comment: "Shared test support is @releasepassport/testing; no suite imports another package's test folder.",
      from: { path: "^packages/([^/]+)/test/" },
      to: { path: "^packages/[^/]+/test/", pathNot: "^packages/$1/test/" }
    },
    {
      name: "black-box-tests-use-the-testing-package",
      severity: "error",
      comment: "The black-box suites in test/ reach test support through @releasepassport/testing.",
      from: { path: "^test/" },
      to: { path: "^packages/[^/]+/test/" }
    },
    {
      name: "testing-is-for-tests",
      severity: "error",
      comment: "No shipped code imports the test support.",
      from: { path: "^packages/[^/]+/src/", pathNot: "^packages/testing/" },
      to: { path: "^packages/testing/" }
    }
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)(dist|node_modules)/" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "types", "default"], extensions: [".ts", ".js", ".mjs"] }
  }
}
