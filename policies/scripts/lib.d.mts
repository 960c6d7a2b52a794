// Types for the parts of lib.mjs that TypeScript tests import.
export declare const repoRoot: string
export declare const srcDir: string
export declare const casesFile: string
export declare const bundleFile: string
export declare const entrypoint: string
export declare const bundleSources: () => Array<string>
export declare const sourceRevision: (files?: ReadonlyArray<string>) => string
