import { describe, expect, it } from "vitest"
import { isSameOrigin } from "../../src/auth/SameOrigin.ts"

describe("same-origin check for session writes", () => {
  const withPublicUrl = { publicUrl: "https://rp.example.com", host: "10.0.0.5:8080" }
  const withHost = { publicUrl: undefined, host: "127.0.0.1:8080" }

  it.each([
    ["https://rp.example.com", withPublicUrl, true],
    ["https://rp.example.com:443", withPublicUrl, true],
    ["http://rp.example.com", withPublicUrl, false],
    ["https://rp.example.com:8443", withPublicUrl, false],
    ["https://evil.example.com", withPublicUrl, false],
    ["https://rp.example.com.evil.com", withPublicUrl, false],
    // A public URL wins over whatever Host the proxy forwarded.
    ["http://10.0.0.5:8080", withPublicUrl, false],
    ["http://127.0.0.1:8080", withHost, true],
    ["https://127.0.0.1:8080", withHost, true],
    ["http://127.0.0.1:8081", withHost, false],
    ["http://localhost:8080", withHost, false],
    ["http://example.com", { publicUrl: undefined, host: "example.com:80" }, true],
    ["null", withHost, false],
    [undefined, withHost, false],
    ["", withHost, false],
    ["not a url", withHost, false],
    ["file:///etc/passwd", withHost, false],
    ["http://127.0.0.1:8080", { publicUrl: undefined, host: undefined }, false],
    ["http://127.0.0.1:8080", { publicUrl: "not a url", host: "127.0.0.1:8080" }, false]
  ] as const)("%s → %s", (origin, target, expected) => {
    expect(isSameOrigin(origin, target)).toBe(expected)
  })
})
