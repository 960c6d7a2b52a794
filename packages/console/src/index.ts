export { ConsoleRoutes } from "./ConsoleRoutes.ts"
export type { ConsoleOptions } from "./ConsoleRoutes.ts"
export { CONTENT_SECURITY_POLICY } from "./Responses.ts"
