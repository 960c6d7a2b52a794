import type { DecisionRecord } from "@releasepassport/core"
import type { ImpactReport } from "./ReportSchemas.ts"

/** Passport ids kept per rule as examples. */
export const IMPACT_EXAMPLES = 5

class Counter {
  evaluations = 0
  readonly releases = new Set<string>()
  add(passportId: string) {
    this.evaluations++
    this.releases.add(passportId)
  }
  view() {
    return { evaluations: this.evaluations, releases: this.releases.size }
  }
}

class RuleCounter extends Counter {
  firstAt = ""
  lastAt = ""
  readonly examples: Array<string> = []
  fired(record: DecisionRecord) {
    this.add(record.passportId)
    // Decisions arrive oldest first: the first one seen is the first time the rule fired.
    if (this.firstAt === "") this.firstAt = record.evaluatedAt
    this.lastAt = record.evaluatedAt
    if (this.examples.length < IMPACT_EXAMPLES && !this.examples.includes(record.passportId)) this.examples.push(record.passportId)
  }
}

const counterIn = <C>(map: Map<string, C>, key: string, make: () => C): C => {
  let counter = map.get(key)
  if (counter === undefined) map.set(key, (counter = make()))
  return counter
}

/** Blocking decisions grouped by rule code, by service and by environment. */
class Blocking extends Counter {
  readonly byRule = new Map<string, RuleCounter>()
  readonly byService = new Map<string, { namespace: string; service: string; counter: Counter }>()
  readonly byEnvironment = new Map<string, Counter>()
  record(record: DecisionRecord) {
    this.add(record.passportId)
    // A rule counts once per evaluation, however many findings share its code.
    for (const code of new Set(record.blockers.map((finding) => finding.code))) {
      counterIn(this.byRule, code, () => new RuleCounter()).fired(record)
    }
    counterIn(this.byService, JSON.stringify([record.namespace, record.service]), () => ({
      namespace: record.namespace,
      service: record.service,
      counter: new Counter()
    })).counter.add(record.passportId)
    counterIn(this.byEnvironment, record.environment, () => new Counter()).add(record.passportId)
  }
  blocking(redact: (value: string) => string): ImpactReport["shadow"]["wouldBlock"] {
    const mostFirst = <T extends { evaluations: number }>(a: T & { key: string }, b: T & { key: string }) =>
      b.evaluations - a.evaluations || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
    return {
      ...this.view(),
      byRule: [...this.byRule].map(([code, c]) => ({
        key: code,
        code,
        ...c.view(),
        firstAt: c.firstAt,
        lastAt: c.lastAt,
        examples: [...c.examples]
      })).sort(mostFirst).map(({ key: _key, ...rule }) => rule),
      byService: [...this.byService].map(([key, s]) => ({ key, namespace: redact(s.namespace), service: redact(s.service), ...s.counter.view() }))
        .sort(mostFirst).map(({ key: _key, ...service }) => service),
      byEnvironment: [...this.byEnvironment].map(([environment, c]) => ({ key: environment, environment: redact(environment), ...c.view() }))
        .sort(mostFirst).map(({ key: _key, ...environment }) => environment)
    }
  }
}

/**
 * Folds decisions (oldest first) into the impact report. Memory grows with the number of
 * rules, services, environments and releases, never with the number of evaluations.
 */
export class ImpactTally {
  private readonly shadow = { all: new Counter(), wouldBlock: new Blocking(), wouldAllow: new Counter(), errors: new Counter() }
  private readonly enforce = { all: new Counter(), blocked: new Blocking(), allowed: new Counter(), errors: new Counter() }

  add(record: DecisionRecord): void {
    if (record.mode === "shadow") {
      this.shadow.all.add(record.passportId)
      // A broken policy (`error`) is not a finding about the release: counted apart.
      if (record.verdict === "error") this.shadow.errors.add(record.passportId)
      else if (record.wouldBlock) this.shadow.wouldBlock.record(record)
      else this.shadow.wouldAllow.add(record.passportId)
    } else {
      this.enforce.all.add(record.passportId)
      if (record.verdict === "error") this.enforce.errors.add(record.passportId)
      else if (!record.allowed) this.enforce.blocked.record(record)
      else this.enforce.allowed.add(record.passportId)
    }
  }

  /** `redact` cleans the names users typed (services, environments) on the way out. */
  view(redact: (value: string) => string, base: Pick<ImpactReport, "window" | "filters" | "generatedAt">): ImpactReport {
    return {
      window: base.window,
      filters: {
        environment: base.filters.environment === null ? null : redact(base.filters.environment),
        service: base.filters.service === null ? null : redact(base.filters.service),
        namespace: base.filters.namespace === null ? null : redact(base.filters.namespace)
      },
      shadow: {
        ...this.shadow.all.view(),
        wouldBlock: this.shadow.wouldBlock.blocking(redact),
        wouldAllow: this.shadow.wouldAllow.view(),
        errors: this.shadow.errors.view()
      },
      enforce: {
        ...this.enforce.all.view(),
        blocked: this.enforce.blocked.blocking(redact),
        allowed: this.enforce.allowed.view(),
        errors: this.enforce.errors.view()
      },
      generatedAt: base.generatedAt
    }
  }
}
