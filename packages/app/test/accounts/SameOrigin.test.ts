import { describe, expect, it } from "vitest"
import { isSameOrigin, localEndpoint } from "../../src/accounts/SameOrigin.ts"

describe("same-origin check for session writes", () => {
  const withPublicUrl = { publicUrl: "https://rp.example.com", local: { address: "10.0.0.5", port: 8080 } }
  const loopback = { publicUrl: undefined, local: { address: "127.0.0.1", port: 8080 } }
  const anyInterface = { publicUrl: undefined, local: { address: "::ffff:192.0.2.10", port: 8080 } }
  const ipv6 = { publicUrl: undefined, local: { address: "2001:db8::1", port: 8080 } }

  it.each([
    ["https://rp.example.com", withPublicUrl, true],
    ["https://rp.example.com:443", withPublicUrl, true],
    ["http://rp.example.com", withPublicUrl, false],
    ["https://rp.example.com:8443", withPublicUrl, false],
    ["https://evil.example.com", withPublicUrl, false],
    ["https://rp.example.com.evil.com", withPublicUrl, false],
    // A public URL wins over the address the connection arrived on.
    ["http://10.0.0.5:8080", withPublicUrl, false],
    ["http://127.0.0.1:8080", loopback, true],
    ["http://localhost:8080", loopback, true],
    // The whole origin: the scheme counts too.
    ["https://127.0.0.1:8080", loopback, false],
    ["http://127.0.0.1:8081", loopback, false],
    // Whatever Host header a client sends, only the listen address counts.
    ["http://evil.example:8080", loopback, false],
    ["http://192.0.2.10:8080", anyInterface, true],
    ["http://localhost:8080", anyInterface, false],
    ["http://[2001:db8::1]:8080", ipv6, true],
    ["null", loopback, false],
    [undefined, loopback, false],
    ["", loopback, false],
    ["not a url", loopback, false],
    ["file:///etc/passwd", loopback, false],
    ["http://127.0.0.1:8080", { publicUrl: undefined, local: undefined }, false],
    ["http://127.0.0.1:8080", { publicUrl: "not a url", local: { address: "127.0.0.1", port: 8080 } }, false]
  ] as const)("%s → %s", (origin, target, expected) => {
    expect(isSameOrigin(origin, target)).toBe(expected)
  })
})

describe("the endpoint a request arrived on", () => {
  it("is the socket's local address and port of the request's Node source", () => {
    expect(localEndpoint({ source: { socket: { localAddress: "::ffff:127.0.0.1", localPort: 8080, remoteAddress: "10.0.0.9" } } }))
      .toEqual({ address: "::ffff:127.0.0.1", port: 8080 })
  })
  it.each([
    ["no source", undefined],
    ["a source without a socket", {}],
    ["a socket that is not connected", { socket: {} }],
    ["a socket without a port", { socket: { localAddress: "127.0.0.1" } }]
  ])("is unknown for %s", (_, source) => {
    expect(localEndpoint({ source })).toBeUndefined()
  })
})
