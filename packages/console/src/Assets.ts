import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"

/**
 * The console's static files, read once at start. Each is served under a name that carries a
 * digest of its bytes, so a page always loads the version it was rendered with and browsers
 * may cache them for a year.
 */
export interface Asset {
  readonly path: string
  readonly body: Uint8Array
  readonly contentType: string
}

export const ASSET_PREFIX = "/console/assets/"

// Found through the package's name, not beside this module: the CLI bundles this code into its
// own dist/, and the files stay in the installed @releasepassport/console (with its dependencies).
const own = (name: string) => createRequire(import.meta.url).resolve(`@releasepassport/console/assets/${name}`)
const require = createRequire(own("console.css"))

const sources = {
  css: { file: own("console.css"), contentType: "text/css; charset=utf-8", name: "console", ext: "css" },
  script: { file: own("console.js"), contentType: "text/javascript; charset=utf-8", name: "console", ext: "js" },
  htmx: { file: require.resolve("htmx.org/dist/htmx.min.js"), contentType: "text/javascript; charset=utf-8", name: "htmx", ext: "js" },
  uplot: { file: require.resolve("uplot/dist/uPlot.iife.min.js"), contentType: "text/javascript; charset=utf-8", name: "uplot", ext: "js" },
  uplotCss: { file: require.resolve("uplot/dist/uPlot.min.css"), contentType: "text/css; charset=utf-8", name: "uplot", ext: "css" }
} as const

export type AssetName = keyof typeof sources

const load = (source: (typeof sources)[AssetName]): Asset => {
  const body = readFileSync(source.file)
  const digest = createHash("sha256").update(body).digest("hex").slice(0, 16)
  return { path: `${ASSET_PREFIX}${source.name}.${digest}.${source.ext}`, body, contentType: source.contentType }
}

export const loadAssets = (): Record<AssetName, Asset> => {
  const loaded = {} as Record<AssetName, Asset>
  for (const key of Object.keys(sources) as Array<AssetName>) loaded[key] = load(sources[key])
  return loaded
}
