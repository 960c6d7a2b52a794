import type { Assets } from "./Layout.tsx"
import { Document } from "./Layout.tsx"

export const LoginPage = ({ assets, next, loginToken, problem }: {
  readonly assets: Assets
  readonly next: string
  readonly loginToken: string
  readonly problem: string | undefined
}) => (
  <Document title="Sign in" assets={assets}>
    <body class="login">
      <main id="main">
        <h1>Release Passport</h1>
        <form method="post" action="/console/login" class="card">
          <h2>Sign in</h2>
          {problem !== undefined ? <p class="problem" role="alert" data-testid="login-problem">{problem}</p> : null}
          <input type="hidden" name="_login" value={loginToken} />
          <input type="hidden" name="next" value={next} />
          <label for="email">Email</label>
          <input id="email" name="email" type="email" autocomplete="username" required />
          <label for="password">Password</label>
          <input id="password" name="password" type="password" autocomplete="current-password" required />
          <button type="submit">Sign in</button>
        </form>
      </main>
    </body>
  </Document>
)
