import { Policies, tokenActor, userActor } from "@releasepassport/app"
import { Clock, Effect, Option } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Api } from "../api/Api.ts"
import { InvalidRequest, ProblemCodes } from "../api/Problems.ts"
import { CurrentToken } from "../api/Security.ts"
import { RequestWorkspace } from "../api/SessionOrTokenSecurity.ts"
import { CurrentSession } from "../api/SessionSecurity.ts"
import { answerProblems } from "./DomainProblems.ts"

/**
 * Who makes this request, for the record of uploads and switches: the session's user or the
 * token (by id, never its value). Session-or-token routes run with exactly one of the two.
 */
const actor = Effect.gen(function*() {
  const { via } = yield* RequestWorkspace
  if (via === "token") {
    const token = yield* Effect.serviceOption(CurrentToken)
    if (Option.isSome(token)) return tokenActor(token.value.id)
  } else {
    const session = yield* Effect.serviceOption(CurrentSession)
    if (Option.isSome(session)) return userActor(session.value.user.id)
  }
  return yield* Effect.die(new Error("a session-or-token request without its credential"))
})

const WEEK_MS = 7 * 86_400_000

export const PolicyHandlers = HttpApiBuilder.group(
  Api,
  "policies",
  Effect.fn(function*(handlers) {
    const policies = yield* Policies
    return handlers
      .handle("upload", ({ payload }) =>
        Effect.gen(function*() {
          const { workspaceId } = yield* RequestWorkspace
          return yield* policies.upload({ workspaceId, bytes: payload, actor: yield* actor })
        }).pipe(answerProblems))
      .handle("activate", ({ params }) =>
        Effect.gen(function*() {
          const { workspaceId } = yield* RequestWorkspace
          return yield* policies.point({ workspaceId, kind: "active", digest: params.digest, actor: yield* actor })
        }).pipe(answerProblems))
      .handle("candidate", ({ params }) =>
        Effect.gen(function*() {
          const { workspaceId } = yield* RequestWorkspace
          return yield* policies.point({ workspaceId, kind: "candidate", digest: params.digest, actor: yield* actor })
        }).pipe(answerProblems))
      .handle("clearCandidate", () =>
        Effect.gen(function*() {
          const { workspaceId } = yield* RequestWorkspace
          return yield* policies.clearCandidate({ workspaceId, actor: yield* actor })
        }).pipe(answerProblems))
      .handle("candidateReport", ({ query }) =>
        Effect.gen(function*() {
          const { workspaceId } = yield* RequestWorkspace
          const since = query.since === undefined ? new Date((yield* Clock.currentTimeMillis) - WEEK_MS) : new Date(query.since)
          if (Number.isNaN(since.getTime())) {
            return yield* new InvalidRequest({
              code: ProblemCodes.requestInvalid,
              detail: "since is not a valid date-time.",
              errors: [{ path: ["query", "since"], message: "is not a valid date-time" }]
            })
          }
          return yield* policies.candidateReport({ workspaceId, since }).pipe(answerProblems)
        }))
      .handle("replay", ({ payload }) =>
        Effect.gen(function*() {
          const { workspaceId } = yield* RequestWorkspace
          const until = payload.until === undefined ? new Date(yield* Clock.currentTimeMillis) : new Date(payload.until)
          const since = new Date(payload.since)
          if (Number.isNaN(since.getTime()) || Number.isNaN(until.getTime()) || since >= until) {
            return yield* new InvalidRequest({
              code: ProblemCodes.requestInvalid,
              detail: "since must be a date-time before until.",
              errors: [{ path: ["payload", "since"], message: "must be a valid date-time before until" }]
            })
          }
          return yield* policies.replay({
            workspaceId,
            digest: payload.bundleDigest,
            since,
            until,
            environment: payload.environment,
            offset: payload.offset,
            limit: payload.limit
          })
            .pipe(answerProblems)
        }))
      .handle("passportInput", ({ params }) =>
        Effect.flatMap(RequestWorkspace, ({ workspaceId }) => policies.passportInput({ workspaceId, passportId: params.id })).pipe(answerProblems))
      .handle("bundle", ({ params }) =>
        Effect.flatMap(RequestWorkspace, ({ workspaceId }) => policies.bundleBytes({ workspaceId, digest: params.digest })).pipe(answerProblems))
      .handle("overview", () =>
        Effect.flatMap(RequestWorkspace, ({ workspaceId }) => policies.overview(workspaceId)).pipe(answerProblems))
  })
)
