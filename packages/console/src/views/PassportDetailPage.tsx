import type { PassportDetailView } from "@releasepassport/app"
import { roleAtLeast } from "@releasepassport/core"
import type { Visit } from "../ConsoleAuth.ts"
import { duration, Hidden, href, Section, Short, Verdict, When } from "./Format.tsx"
import type { Assets } from "./Layout.tsx"
import { Layout } from "./Layout.tsx"
import { passportReportHref } from "./ReportsPage.tsx"

type Finding = NonNullable<PassportDetailView["latest"]>["blockers"][number]
type EvidenceItem = PassportDetailView["evidence"][number]

/** "3 d of 1 d max", and stale said in words and an icon (never colour alone). */
const Age = ({ item, maxAge }: { readonly item: EvidenceItem; readonly maxAge: PassportDetailView["evidenceMaxAge"] }) => (
  <div class="age" data-testid="evidence-age">
    {duration(item.ageSeconds)}{maxAge !== null ? ` of ${duration(maxAge.seconds)} max` : " old"}
    {item.stale ? <> <span class="stale" data-testid="evidence-stale"><span aria-hidden="true">⏱</span> stale</span></> : null}
  </div>
)

const evidenceAnchor = (id: string) => `evidence-${id}`

const Findings = ({ title, findings, kind, passport }: {
  readonly title: string
  readonly findings: ReadonlyArray<Finding>
  readonly kind: "blocker" | "warning"
  readonly passport: PassportDetailView
}) => (
  <Section title={title} id={`${kind}s`}>
    {findings.length === 0
      ? <p>None.</p>
      : (
        <ul class={`findings findings-${kind}`}>
          {findings.map((finding) => {
            const ids = finding.evidence ?? []
            const linked = passport.evidence.filter((item) => ids.includes(item.id))
            return (
              <li data-testid={kind}>
                <p><code>{finding.code}</code> <span class="muted">({finding.policy})</span></p>
                <p>{finding.message}</p>
                {finding.remediation !== undefined ? <p class="remediation"><strong>Remediation:</strong> {finding.remediation}</p> : null}
                {ids.length > 0
                  ? (
                    <p>
                      Evidence:{" "}
                      {linked.map((item) => <a class="evidence-link" href={`#${evidenceAnchor(item.id)}`}>{item.source}/{item.type} v{item.version}</a>)}
                      {ids.filter((id) => !linked.some((item) => item.id === id)).map((id) => <code>{id}</code>)}
                    </p>
                  )
                  : null}
              </li>
            )
          })}
        </ul>
      )}
  </Section>
)

export const PassportDetailPage = ({ visit, assets, passport }: {
  readonly visit: Visit
  readonly assets: Assets
  readonly passport: PassportDetailView
}) => {
  const latest = passport.latest
  const mayComment = roleAtLeast(visit.membership.role, "member")
  const self = href(visit, `/console/passports/${encodeURIComponent(passport.id)}`)
  const action = (suffix: string) => href(visit, `/console/passports/${encodeURIComponent(passport.id)}${suffix}`)
  return (
    <Layout visit={visit} assets={assets} title={`${passport.service.namespace}/${passport.service.name}`} active="passports">
      <dl class="identity">
        <dt>Service</dt><dd data-testid="service-name">{passport.service.name}</dd>
        <dt>Namespace</dt><dd>{passport.service.namespace}</dd>
        <dt>Release</dt><dd><code>{passport.release.releaseId}</code></dd>
        <dt>Source sha</dt><dd><Short value={passport.release.sourceSha} length={12} /></dd>
        <dt>Artifact digest</dt><dd><Short value={passport.artifactDigest} /></dd>
        <dt>Verdict</dt><dd><Verdict verdict={passport.verdict} /></dd>
        <dt>Updated</dt><dd><When iso={passport.updatedAt} now={visit.now} /></dd>
        <dt>Report</dt><dd><a href={passportReportHref(visit, passport.id)} data-testid="passport-report">Printable report for a change record</a></dd>
      </dl>

      <Section title="Verdict per environment">
        <table>
          <thead><tr><th scope="col">Environment</th><th scope="col">Verdict</th><th scope="col">Mode</th><th scope="col">Blockers</th><th scope="col">Evaluated</th></tr></thead>
          <tbody>
            {passport.environments.map((env) => (
              <tr>
                <td>{env.environment}</td>
                <td><Verdict verdict={env.verdict} /></td>
                <td>{env.mode}</td>
                <td>{env.blockerCount}</td>
                <td><When iso={env.evaluatedAt} now={visit.now} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>

      {latest !== null
        ? (
          <>
            <p class="muted">Latest evaluation: {latest.environment}, {latest.mode}, <When iso={latest.evaluatedAt} now={visit.now} />.</p>
            <Findings title="Blockers" findings={latest.blockers} kind="blocker" passport={passport} />
            <Findings title="Warnings" findings={latest.warnings} kind="warning" passport={passport} />
          </>
        )
        : <p>No gate has evaluated this release yet.</p>}

      <Section title="Evidence timeline" id="evidence">
        {passport.evidenceTotal > passport.evidence.length
          ? <p class="muted">Showing the newest {passport.evidence.length} of {passport.evidenceTotal} versions.</p>
          : null}
        <p class="muted" data-testid="evidence-max-age">
          {passport.evidenceMaxAge === null
            ? "The policy sets no maximum evidence age."
            : `Ages are measured against the policy's maximum evidence age of ${duration(passport.evidenceMaxAge.seconds)}` +
              (passport.evidenceMaxAge.environment === null ? " (its default)." : ` (for ${passport.evidenceMaxAge.environment}).`)}
        </p>
        <table>
          <thead>
            <tr><th scope="col">Evidence</th><th scope="col">Version</th><th scope="col">Status</th><th scope="col">Summary</th><th scope="col">Observed, age</th><th scope="col">Details</th></tr>
          </thead>
          <tbody>
            {passport.evidence.map((item) => (
              <tr id={evidenceAnchor(item.id)} data-testid="evidence-row" class={item.stale ? "evidence-stale" : undefined}>
                <td>{item.source} / {item.type}<div class="muted">{item.externalId}</div></td>
                <td>v{item.version}{item.latest ? " (latest)" : ""}</td>
                <td><span class={`status status-${item.status}`}>{item.status}</span>
                  {item.digestMismatch ? <div class="problem">artifact digest differs</div> : null}
                  {item.sourceShaMismatch ? <div class="problem">source sha differs</div> : null}
                </td>
                <td>{item.summary}{item.url !== null && /^https?:\/\//i.test(item.url) ? <div><a href={item.url} rel="noopener noreferrer">link</a></div> : null}</td>
                <td><When iso={item.observedAt} now={visit.now} /><Age item={item} maxAge={passport.evidenceMaxAge} /></td>
                <td>
                  {item.detailsHidden
                    ? <span class="muted" data-testid="details-hidden">private: hidden for your role</span>
                    : item.details !== null
                    ? <details><summary>details{item.private ? " (private)" : ""}</summary><pre>{JSON.stringify(item.details, null, 2)}</pre></details>
                    : <span class="muted">none</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>

      <Section title="Policies">
        <table>
          <thead><tr><th scope="col">Revision</th><th scope="col">Bundle</th><th scope="col">Evaluations</th><th scope="col">Rules fired</th></tr></thead>
          <tbody>
            {passport.policies.map((policy) => (
              <tr>
                <td><code>{policy.revision}</code></td>
                <td><Short value={policy.bundleDigest} /></td>
                <td>{policy.evaluations}, last <When iso={policy.lastEvaluatedAt} now={visit.now} /></td>
                <td>
                  <ul>{policy.rulesFired.map((rule) => <li><code>{rule.code}</code> ({rule.severity}) ×{rule.times}</li>)}</ul>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>

      <Section title="Evaluation history">
        <table>
          <thead><tr><th scope="col">When</th><th scope="col">Environment</th><th scope="col">Mode</th><th scope="col">Verdict</th><th scope="col">Allowed</th><th scope="col">Enforce would block</th><th scope="col">Blockers</th></tr></thead>
          <tbody>
            {passport.evaluations.map((evaluation) => (
              <tr>
                <td><When iso={evaluation.evaluatedAt} now={visit.now} /></td>
                <td>{evaluation.environment}</td>
                <td>{evaluation.mode}</td>
                <td><Verdict verdict={evaluation.verdict} /></td>
                <td>{evaluation.allowed ? "yes" : "no"}</td>
                <td>{evaluation.wouldBlock ? "yes" : "no"}</td>
                <td>{evaluation.blockers.map((b) => b.code).join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>

      <Section title="Comments" id="comments">
        <ul class="comments">
          {passport.comments.map((comment) => (
            <li data-testid="comment">
              <p class="comment-meta">{comment.author.displayName}, <When iso={comment.createdAt} now={visit.now} /></p>
              <p class="comment-body">{comment.body}</p>
              {comment.canDelete && mayComment
                ? (
                  <form method="post" action={action(`/comments/${encodeURIComponent(comment.id)}/delete`)}
                    hx-post={action(`/comments/${encodeURIComponent(comment.id)}/delete`)} hx-target="#comments" hx-select="#comments" hx-swap="outerHTML">
                    <Hidden visit={visit} />
                    <button type="submit">Delete comment</button>
                  </form>
                )
                : null}
            </li>
          ))}
        </ul>
        {mayComment
          ? (
            <form method="post" action={action("/comments")} class="comment-form"
              hx-post={action("/comments")} hx-target="#comments" hx-select="#comments" hx-swap="outerHTML">
              <Hidden visit={visit} />
              <label for="comment-body">Add a comment</label>
              <textarea id="comment-body" name="body" required maxlength={4000} rows={3}></textarea>
              <button type="submit">Post comment</button>
            </form>
          )
          : null}
        <p class="muted"><a href={self}>Reload</a></p>
      </Section>
    </Layout>
  )
}
