// Types of PolicyProject.mjs, for the CLI.
export declare const entrypoint: string
export declare const casesDataPath: string
export declare const minimumCoverage: number
export declare const casesFile: string
export declare const bundleCasesPath: string
export declare const withCases: (bundle: Uint8Array, cases: Uint8Array) => Uint8Array
export declare class Failure extends Error {}
export declare const sdkCapabilitiesFile: () => string
interface Where { readonly cwd: string; readonly dir: string; readonly opa: string }
export declare const projectSources: (where: { readonly cwd: string; readonly dir: string }) => Array<string>
export declare const sourceRevision: (where: { readonly cwd: string; readonly files: ReadonlyArray<string> }) => string
export declare const buildProject: (options: Where & { readonly output: string; readonly revision?: string | undefined; readonly sdkFile?: string }) => string
export declare const testProject: (options: Where & { readonly log?: (line: string) => void }) => void
export declare const fmtProject: (options: Where & { readonly check?: boolean }) => void
export declare const checkProject: (options: Where) => void
