import { spawn } from "node:child_process"
import type { ChildProcess } from "node:child_process"
import { fileURLToPath } from "node:url"

/** The built CLI, as users run it. The black-box tests never import the server's code to run it. */
export const BIN = fileURLToPath(new URL("../../cli/bin/releasepassport.js", import.meta.url))
export const REPO = fileURLToPath(new URL("../../../", import.meta.url))

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `releasepassport <args>` to completion (bounded by a timeout). */
export const cli = (
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string | undefined>; readonly input?: string; readonly cwd?: string; readonly timeoutMs?: number } = {}
): Promise<CliResult> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? REPO,
      env: { ...process.env, ...options.env },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`releasepassport ${args.join(" ")} timed out\n${stdout}\n${stderr}`))
    }, options.timeoutMs ?? 30_000)
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.end(options.input ?? "")
  })

/** `cli`, failing the test (with the command's stderr) when it does not exit 0. */
export const cliOk = async (args: ReadonlyArray<string>, input?: string): Promise<CliResult> => {
  const result = await cli(args, input === undefined ? {} : { input })
  if (result.code !== 0) throw new Error(`releasepassport ${args.join(" ")} exited ${result.code}: ${result.stderr}`)
  return result
}

export interface RunningServer {
  readonly url: string
  readonly process: ChildProcess
  readonly output: () => string
  readonly stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

/**
 * Starts `releasepassport serve` on a free port and waits until it says where it listens: the
 * plain line on stdout, or with RELEASEPASSPORT_LOG_FORMAT=json the log record on stderr.
 */
export const startServer = (
  options: { readonly database: string; readonly args?: ReadonlyArray<string>; readonly env?: Record<string, string | undefined> }
): Promise<RunningServer> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [BIN, "serve", "--port", "0", "--database", options.database, ...(options.args ?? [])],
      { cwd: REPO, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] }
    )
    let output = ""
    const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`server did not start in time:\n${output}`))
    }, 30_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (http:\/\/[^\s"]+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve({
          url: match[1]!,
          process: child,
          output: () => output,
          stop: async (signal = "SIGTERM") => {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal)
            return exited
          }
        })
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code} before listening:\n${output}`))
    })
  })
