import type { CandidateReport, PolicyOverview } from "@releasepassport/app"
import type { Visit } from "../ConsoleAuth.ts"
import { Hidden, href, Section, Short, Verdict, When } from "./Format.tsx"
import type { Assets } from "./Layout.tsx"
import { Layout } from "./Layout.tsx"

/** Where a pointer points: a bundle, or (null) the server's default for active, nothing for candidate. */
const Pointer = ({ kind, digest, copy = true }: { readonly kind: "active" | "candidate"; readonly digest: string | null; readonly copy?: boolean }) =>
  digest === null
    ? <span>{kind === "active" ? "the server's default bundle" : "none"}</span>
    : copy ? <Short value={digest} /> : <code title={digest}>{digest.slice(0, 19)}…</code>

/**
 * Admins only (the route refuses others, as `GET /policies` does): the workspace's bundles,
 * which one decides and which runs in shadow, the record of every switch, and what switching
 * to the candidate would change on the traffic of the window.
 */
export const PoliciesPage = ({ visit, assets, policies, report, days }: {
  readonly visit: Visit
  readonly assets: Assets
  readonly policies: PolicyOverview
  readonly report: CandidateReport | undefined
  readonly days: number
}) => (
  <Layout visit={visit} assets={assets} title="Policies" active="policies">
    {policies.loadProblems.map((problem) => (
      <p class="problem" role="alert" data-testid="policy-load-problem">
        The {problem.kind} bundle <Pointer kind={problem.kind} digest={problem.digest} copy={false} /> could not be loaded on this server:{" "}
        {problem.reason}.{" "}
        {problem.kind === "active" ? "Deciding instead: " : "Candidate instead: "}
        <Pointer kind={problem.kind} digest={problem.inPlace} copy={false} />. Point it at another bundle to replace it.
      </p>
    ))}
    <dl class="identity">
      <dt>Active</dt><dd data-testid="policy-active"><Pointer kind="active" digest={policies.active} /></dd>
      <dt>Candidate</dt><dd data-testid="policy-candidate"><Pointer kind="candidate" digest={policies.candidate} /></dd>
    </dl>
    {policies.candidate !== null
      ? (
        <form method="post" action={href(visit, "/console/policies/candidate/clear")}>
          <Hidden visit={visit} />
          <button type="submit">Stop the candidate</button>
        </form>
      )
      : null}
    <Section title="Bundles">
      {policies.bundles.length === 0
        ? <p>No bundle uploaded to this workspace: the server's default bundle decides. Upload one with <code>releasepassport policy push</code>.</p>
        : (
          <table>
            <thead>
              <tr><th scope="col">Revision</th><th scope="col">Digest</th><th scope="col">Role</th><th scope="col">Uploaded by</th><th scope="col">Uploaded</th><th scope="col">Size</th><th scope="col">Action</th></tr>
            </thead>
            <tbody>
              {policies.bundles.map((bundle) => (
                <tr data-testid="bundle-row">
                  <td><code>{bundle.revision}</code></td>
                  <td><Short value={bundle.digest} /></td>
                  <td data-testid="bundle-role">{bundle.active ? "active" : bundle.candidate ? "candidate" : "—"}</td>
                  <td>{bundle.uploadedBy}</td>
                  <td><When iso={bundle.uploadedAt} now={visit.now} /></td>
                  <td>{(bundle.sizeBytes / 1024).toFixed(1)} KB</td>
                  <td class="actions">
                    {bundle.active
                      ? null
                      : (
                        <form method="post" action={href(visit, "/console/policies/activate")}>
                          <Hidden visit={visit} />
                          <input type="hidden" name="digest" value={bundle.digest} />
                          <button type="submit" aria-label={`Activate ${bundle.revision}`}>Activate</button>
                        </form>
                      )}
                    {bundle.candidate || bundle.active
                      ? null
                      : (
                        <form method="post" action={href(visit, "/console/policies/candidate")}>
                          <Hidden visit={visit} />
                          <input type="hidden" name="digest" value={bundle.digest} />
                          <button type="submit" aria-label={`Make candidate ${bundle.revision}`}>Make candidate</button>
                        </form>
                      )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </Section>
    <Section title={`Candidate against active, last ${days} days`} id="candidate-report">
      {report === undefined || report.evaluations === 0
        ? <p>No gate evaluation ran a candidate in this window.</p>
        : (
          <>
            <p data-testid="candidate-summary">
              {report.disagreements} of {report.evaluations} evaluations would be decided otherwise{report.truncated ? " (only the newest were read)" : ""}.
            </p>
            <table>
              <caption>Verdict flips</caption>
              <thead><tr><th scope="col">Active</th><th scope="col">Candidate</th><th scope="col">Evaluations</th></tr></thead>
              <tbody>
                {report.verdictFlips.map((flip) => (
                  <tr data-testid="verdict-flip"><td><Verdict verdict={flip.from} /></td><td><Verdict verdict={flip.to} /></td><td>{flip.evaluations}</td></tr>
                ))}
              </tbody>
            </table>
            <table>
              <caption>Blockers by rule</caption>
              <thead><tr><th scope="col">Rule</th><th scope="col">Change</th><th scope="col">Evaluations</th></tr></thead>
              <tbody>
                {report.newBlockers.map((row) => <tr data-testid="new-blocker"><td><code>{row.code}</code></td><td>new blocker</td><td>{row.evaluations}</td></tr>)}
                {report.removedBlockers.map((row) => <tr data-testid="removed-blocker"><td><code>{row.code}</code></td><td>no longer blocks</td><td>{row.evaluations}</td></tr>)}
              </tbody>
            </table>
            <table>
              <caption>Newest disagreements</caption>
              <thead><tr><th scope="col">When</th><th scope="col">Passport</th><th scope="col">Environment</th><th scope="col">Active</th><th scope="col">Candidate</th></tr></thead>
              <tbody>
                {report.examples.slice(0, 20).map((example) => (
                  <tr>
                    <td><When iso={example.evaluatedAt} now={visit.now} /></td>
                    <td><a href={href(visit, `/console/passports/${encodeURIComponent(example.passportId)}`)}>{example.passportId}</a></td>
                    <td>{example.environment}</td>
                    <td><Verdict verdict={example.verdict} /></td>
                    <td><Verdict verdict={example.candidateVerdict} /></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
    </Section>
    <Section title="History">
      {policies.history.length === 0
        ? <p>No switch recorded yet.</p>
        : (
          <table>
            <thead><tr><th scope="col">When</th><th scope="col">Pointer</th><th scope="col">From</th><th scope="col">To</th><th scope="col">By</th></tr></thead>
            <tbody>
              {policies.history.map((change) => (
                <tr data-testid="policy-change">
                  <td><When iso={change.changedAt} now={visit.now} /></td>
                  <td>{change.kind}</td>
                  <td><Pointer kind={change.kind} digest={change.fromDigest} copy={false} /></td>
                  <td><Pointer kind={change.kind} digest={change.toDigest} copy={false} /></td>
                  <td>{change.changedBy}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </Section>
  </Layout>
)
