import { LicenseService } from "@releasepassport/app"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../api/Api.ts"
import { RequestWorkspace } from "../api/SessionOrTokenSecurity.ts"
import { answerProblems } from "./DomainProblems.ts"

export const LicenseHandlers = HttpApiBuilder.group(
  Api,
  "license",
  Effect.fn(function*(handlers) {
    const license = yield* LicenseService
    return handlers.handle("status", () =>
      Effect.flatMap(RequestWorkspace, ({ workspaceId }) => license.status({ workspaceId })).pipe(answerProblems))
  })
)
