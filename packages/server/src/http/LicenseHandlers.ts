import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../api/Api.ts"
import { RequestWorkspace } from "../api/SessionOrTokenSecurity.ts"
import { unavailable } from "../auth/BearerTokenLive.ts"
import { LicenseService } from "../license/LicenseService.ts"

export const LicenseHandlers = HttpApiBuilder.group(
  Api,
  "license",
  Effect.fn(function*(handlers) {
    const license = yield* LicenseService
    return handlers.handle("status", () =>
      Effect.gen(function*() {
        const { workspaceId } = yield* RequestWorkspace
        return yield* license.status({ workspaceId }).pipe(Effect.mapError(unavailable))
      }))
  })
)
