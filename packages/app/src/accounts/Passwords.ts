import { Context, Effect, Layer, Redacted, Semaphore } from "effect"
import { generatePassword, hashPassword, needsRehash, verifyPassword } from "./PasswordHash.ts"

/**
 * Hashing and checking passwords for the server. Each scrypt hash holds about 128 MiB, so at
 * most `concurrency` run at once: a burst of sign-ins waits its turn instead of exhausting
 * memory. An unknown account is checked against a dummy hash of the same cost, so it takes
 * as long as a wrong password for a real one.
 */
export class Passwords extends Context.Service<Passwords, {
  readonly hash: (password: Redacted.Redacted<string>) => Effect.Effect<string>
  /** `stored` undefined: no such account; the answer is false, after the same work. */
  readonly verify: (
    password: Redacted.Redacted<string>,
    stored: string | undefined
  ) => Effect.Effect<{ readonly ok: boolean; readonly needsRehash: boolean }>
}>()("@releasepassport/app/Passwords") {
  static readonly make = (options: { readonly concurrency: number }) =>
    Effect.gen(function*() {
      const semaphore = yield* Semaphore.make(options.concurrency)
      const limited = <A>(run: () => Promise<A>) => Semaphore.withPermits(semaphore, 1)(Effect.promise(run))
      const dummy = yield* Effect.cached(limited(() => hashPassword(generatePassword())))
      // Made in the background at start-up, so that not even the first unknown account
      // takes longer than a wrong password (the first check would otherwise also make it).
      yield* Effect.forkScoped(dummy)
      return Passwords.of({
        hash: (password) => limited(() => hashPassword(Redacted.value(password))),
        verify: (password, stored) =>
          Effect.gen(function*() {
            if (stored === undefined) {
              const target = yield* dummy
              yield* limited(() => verifyPassword(Redacted.value(password), target))
              return { ok: false, needsRehash: false }
            }
            const ok = yield* limited(() => verifyPassword(Redacted.value(password), stored))
            return { ok, needsRehash: ok && needsRehash(stored) }
          })
      })
    })

  static readonly layer = Layer.effect(Passwords, Passwords.make({ concurrency: 2 }))
}
