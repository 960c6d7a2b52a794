import { spawn } from "node:child_process"
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import path from "node:path"
import { parse } from "yaml"

/*
 * Runs the shell steps of the pipeline examples as the CI systems would: GitHub Actions `run:`
 * steps (of a workflow job and of the local composite action it uses) and GitLab CI job
 * scripts, each with bash, in order, stopping at the first failure. Only the parts the examples
 * use are supported; anything else throws, so an example cannot grow a construct that this
 * runner would silently skip (and so leave untested).
 */

export interface StepRun {
  readonly name: string
  readonly outcome: "success" | "failure" | "skipped"
  readonly exitCode: number | null
  readonly stdout: string
  readonly stderr: string
  /** What the step wrote to GITHUB_OUTPUT (or, for an action, its outputs). */
  readonly outputs: Record<string, string>
  /** Failed under `continue-on-error: true`: the job went on. */
  readonly continuedOnError: boolean
}

export interface JobRun {
  /** The exit code of the step that failed the job, 0 when none did. */
  readonly exitCode: number
  readonly steps: ReadonlyArray<StepRun>
  readonly stdout: string
  readonly stderr: string
}

/** Runs a script file with bash; never hangs past the timeout. */
const bash = (args: ReadonlyArray<string>, env: Record<string, string>, cwd: string, timeoutMs = 60_000) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn("bash", [...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`step timed out after ${timeoutMs} ms\n${stdout}\n${stderr}`))
    }, timeoutMs)
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })

const summarize = (steps: Array<StepRun>): JobRun => {
  const failed = steps.find((step) => step.outcome === "failure" && !step.continuedOnError)
  return {
    exitCode: failed === undefined ? 0 : failed.exitCode ?? 1,
    steps,
    stdout: steps.map((s) => s.stdout).join(""),
    stderr: steps.map((s) => s.stderr).join("")
  }
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions

export type Contexts = Record<string, Record<string, unknown>>

/** `${{ ... }}`: context paths and `a == 'x' && 'y' || 'z'`, which is all the examples use. */
export const evaluateExpressions = (template: string, contexts: Contexts): string =>
  template.replace(/\$\{\{(.*?)\}\}/g, (_, raw: string) => {
    const expression = raw.trim()
    const ternary = /^([\w.-]+) == '([^']*)' && '([^']*)' \|\| '([^']*)'$/.exec(expression)
    if (ternary !== null) return lookup(ternary[1]!, contexts) === ternary[2] ? ternary[3]! : ternary[4]!
    if (/^[\w.-]+$/.test(expression)) return lookup(expression, contexts)
    throw new Error(`expression not supported by the test runner: ${expression}`)
  })

const lookup = (reference: string, contexts: Contexts): string => {
  const [context, ...rest] = reference.split(".")
  let value: unknown = contexts[context!]
  for (const key of rest) value = (value as Record<string, unknown> | undefined)?.[key]
  if (value === undefined) {
    // As on GitHub, a step output nobody wrote is empty; any other unknown name is a mistake
    // in the example or the test.
    if (context === "steps" && rest[1] === "outputs") return ""
    throw new Error(`unknown context value in an example: ${reference}`)
  }
  return String(value)
}

interface GithubStep {
  readonly name?: string
  readonly id?: string
  readonly uses?: string
  readonly run?: string
  readonly shell?: string
  readonly env?: Record<string, unknown>
  readonly with?: Record<string, unknown>
  readonly "continue-on-error"?: boolean
  readonly [other: string]: unknown
}

interface ActionInput {
  readonly required?: boolean
  readonly default?: string
}

export interface GithubRunOptions {
  /** The runner's own environment (PATH, HOME, GITHUB_RUN_ID, ...): nothing of the test process leaks in. */
  readonly env: Record<string, string>
  /** `vars`, `secrets`, `github`, `needs` as the workflow sees them. */
  readonly contexts: Contexts
  /** Local `uses: ./path` actions, mapped to their action.yml. */
  readonly localActions: Record<string, string>
  /** Remote actions that may be skipped because the test provides what they would (a checkout, Node). */
  readonly skippableActions: ReadonlyArray<string>
  readonly workspace: string
}

const supportedStepKeys = new Set(["name", "id", "uses", "run", "shell", "env", "with", "continue-on-error"])

const stringMap = (value: Record<string, unknown> | undefined, contexts: Contexts): Record<string, string> =>
  Object.fromEntries(Object.entries(value ?? {}).map(([key, v]) => [key, evaluateExpressions(String(v), contexts)]))

/** The steps of one job of a workflow file, run in order. */
export const runGithubJob = async (workflowFile: string, jobName: string, options: GithubRunOptions): Promise<JobRun> => {
  const workflow = parse(readFileSync(workflowFile, "utf8"))
  const job = workflow.jobs?.[jobName]
  if (job === undefined) throw new Error(`no job ${jobName} in ${workflowFile}`)
  if (workflow.defaults?.run?.shell !== "bash") throw new Error("the examples run their steps with bash (defaults.run.shell)")
  const env = { ...options.env, ...stringMap(workflow.env, options.contexts), ...stringMap(job.env, options.contexts) }
  return summarize(await runGithubSteps(job.steps, options.contexts, env, options))
}

const runGithubSteps = async (
  steps: ReadonlyArray<GithubStep>,
  outer: Contexts,
  env: Record<string, string>,
  options: GithubRunOptions
): Promise<Array<StepRun>> => {
  const stepContext: Record<string, { outcome: string; outputs: Record<string, string> }> = {}
  const runs: Array<StepRun> = []
  for (const step of steps) {
    for (const key of Object.keys(step)) if (!supportedStepKeys.has(key)) throw new Error(`step key not supported by the test runner: ${key}`)
    const contexts: Contexts = { ...outer, steps: stepContext }
    const name = step.name ?? step.id ?? step.uses ?? "run"
    let run: StepRun
    if (step.run !== undefined) {
      run = await runGithubScript(name, step, contexts, env, options)
    } else if (step.uses !== undefined && options.localActions[step.uses] !== undefined) {
      run = await runCompositeAction(name, options.localActions[step.uses]!, stringMap(step.with, contexts), outer, env, options)
    } else if (step.uses !== undefined && options.skippableActions.some((action) => step.uses!.startsWith(`${action}@`))) {
      run = { name, outcome: "skipped", exitCode: 0, stdout: "", stderr: "", outputs: {}, continuedOnError: false }
    } else {
      throw new Error(`step not supported by the test runner: ${JSON.stringify(step)}`)
    }
    if (step.id !== undefined) stepContext[step.id] = { outcome: run.outcome, outputs: run.outputs }
    const continuedOnError = run.outcome === "failure" && step["continue-on-error"] === true
    runs.push({ ...run, continuedOnError })
    if (run.outcome === "failure" && !continuedOnError) break
  }
  return runs
}

const runGithubScript = async (
  name: string,
  step: GithubStep,
  contexts: Contexts,
  env: Record<string, string>,
  options: GithubRunOptions
): Promise<StepRun> => {
  if (step.shell !== undefined && step.shell !== "bash") throw new Error(`shell not supported by the test runner: ${step.shell}`)
  // Beside the job's files, so the caller's clean-up of its workspace removes them too.
  const dir = mkdtempSync(path.join(options.workspace, ".step-"))
  const script = path.join(dir, "step.sh")
  const outputFile = path.join(dir, "output")
  writeFileSync(script, evaluateExpressions(step.run!, contexts))
  writeFileSync(outputFile, "")
  // `shell: bash` on GitHub is `bash --noprofile --norc -eo pipefail {0}`.
  const result = await bash(
    ["--noprofile", "--norc", "-eo", "pipefail", script],
    { ...env, ...stringMap(step.env, contexts), GITHUB_OUTPUT: outputFile },
    options.workspace
  )
  return {
    name,
    outcome: result.code === 0 ? "success" as const : "failure" as const,
    exitCode: result.code,
    stdout: result.stdout,
    stderr: result.stderr,
    outputs: readOutputs(outputFile),
    continuedOnError: false
  }
}

const readOutputs = (file: string): Record<string, string> => {
  const outputs: Record<string, string> = {}
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line === "") continue
    const at = line.indexOf("=")
    if (at <= 0) throw new Error(`GITHUB_OUTPUT line not supported by the test runner: ${line}`)
    outputs[line.slice(0, at)] = line.slice(at + 1)
  }
  return outputs
}

const runCompositeAction = async (
  name: string,
  actionFile: string,
  given: Record<string, string>,
  outer: Contexts,
  env: Record<string, string>,
  options: GithubRunOptions
): Promise<StepRun> => {
  const action = parse(readFileSync(actionFile, "utf8"))
  if (action.runs?.using !== "composite") throw new Error(`${actionFile} is not a composite action`)
  const declared: Record<string, ActionInput> = action.inputs ?? {}
  for (const key of Object.keys(given)) if (declared[key] === undefined) throw new Error(`input ${key} is not declared by ${actionFile}`)
  const inputs: Record<string, string> = {}
  for (const [key, input] of Object.entries(declared)) {
    const value = given[key] ?? input.default
    if (value === undefined && input.required === true) throw new Error(`required input ${key} missing for ${actionFile}`)
    inputs[key] = value ?? ""
  }
  for (const step of action.runs.steps as ReadonlyArray<GithubStep>) {
    if (step.run !== undefined && step.shell === undefined) throw new Error("composite action run steps must name their shell")
  }
  // An action sees its inputs and the run's github context, not the caller's steps, vars or secrets.
  const contexts: Contexts = { inputs, github: outer.github ?? {} }
  const runs = await runGithubSteps(action.runs.steps, contexts, env, options)
  const stepContext = Object.fromEntries(
    (action.runs.steps as ReadonlyArray<GithubStep>).flatMap((step, i) =>
      step.id !== undefined && runs[i] !== undefined ? [[step.id, { outcome: runs[i].outcome, outputs: runs[i].outputs }]] : [])
  )
  const outputs = Object.fromEntries(
    Object.entries((action.outputs ?? {}) as Record<string, { value: string }>).map(([key, output]) =>
      [key, evaluateExpressions(output.value, { ...contexts, steps: stepContext })])
  )
  const { exitCode, stdout, stderr } = summarize(runs)
  return { name, outcome: exitCode === 0 ? "success" : "failure", exitCode, stdout, stderr, outputs, continuedOnError: false }
}

/** Every `run:` script of a workflow or action file, for checks on the scripts' text. */
export const githubScripts = (file: string): Array<string> => {
  const document = parse(readFileSync(file, "utf8"))
  const steps: Array<GithubStep> = document.runs?.steps ?? Object.values(document.jobs ?? {}).flatMap((job: any) => job.steps ?? [])
  return steps.flatMap((step) => (step.run === undefined ? [] : [step.run]))
}

// ---------------------------------------------------------------------------------------------
// GitLab CI

const gitlabJobKeys = new Set(["extends", "stage", "needs", "image", "services", "before_script", "script", "variables", "artifacts", "environment"])

const resolveGitlabJob = (pipeline: Record<string, any>, name: string): Record<string, any> => {
  const job = pipeline[name]
  if (job === undefined) throw new Error(`no job ${name}`)
  for (const key of Object.keys(job)) if (!gitlabJobKeys.has(key)) throw new Error(`job key not supported by the test runner: ${key}`)
  const parents: Array<string> = job.extends === undefined ? [] : [job.extends].flat()
  // `extends` merges the parents' keys first, the job's own win (hashes merge deeply on GitLab;
  // `variables` is the only hash these examples could merge).
  return parents.reduce<Record<string, any>>((merged, parent) => {
    const resolved = resolveGitlabJob(pipeline, parent)
    return { ...resolved, ...merged, variables: { ...resolved.variables, ...merged.variables } }
  }, { ...job })
}

export interface GitlabRunOptions {
  /** The runner's environment: PATH, HOME, the predefined CI_* variables, the project's CI/CD variables, dotenv reports. */
  readonly env: Record<string, string>
  readonly workspace: string
}

/** `before_script` and `script` of one job, as the runner's bash executor runs them. */
export const runGitlabJob = async (file: string, jobName: string, options: GitlabRunOptions): Promise<JobRun> => {
  const pipeline = parse(readFileSync(file, "utf8"))
  const job = resolveGitlabJob(pipeline, jobName)
  const lines: Array<string> = [...(job.before_script ?? []), ...job.script]
  const dir = mkdtempSync(path.join(options.workspace, ".job-"))
  const script = path.join(dir, "job.sh")
  // The runner stops at the first failing command and keeps pipefail.
  writeFileSync(script, "")
  for (const line of lines) appendFileSync(script, `${line}\n`)
  const variables = Object.fromEntries(Object.entries({ ...pipeline.variables, ...job.variables }).map(([k, v]) => [k, String(v)]))
  const result = await bash(["--noprofile", "--norc", "-eo", "pipefail", script], { ...options.env, ...variables }, options.workspace)
  const step: StepRun = {
    name: jobName,
    outcome: result.code === 0 ? "success" : "failure",
    exitCode: result.code,
    stdout: result.stdout,
    stderr: result.stderr,
    outputs: {},
    continuedOnError: false
  }
  return summarize([step])
}
