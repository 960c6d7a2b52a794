import { HttpApiMiddleware } from "effect/http-api"
import type { CurrentToken } from "./Security.ts"

/**
 * Counts an authenticated evidence request refused for its content against its source's
 * connector (a connector that keeps sending bad batches shows in `/integrations`). Runs
 * inside the bearer middleware, so unauthenticated requests are never attributed.
 */
export class EvidenceRejections extends HttpApiMiddleware.Service<EvidenceRejections, { requires: CurrentToken }>()(
  "@releasepassport/server/EvidenceRejections"
) {}
