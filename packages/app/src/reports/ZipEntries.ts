import yauzl from "yauzl"

/**
 * Every entry of a zip, by name: how an audit pack is read before `verifyAuditPack` checks it
 * (the CLI's `report verify`, and the tests). Refuses duplicate names (a second copy could hide
 * a tampered one) and names yauzl calls unsafe (absolute, `..`, backslashes).
 */
export const readZipEntries = (bytes: Uint8Array) =>
  new Promise<Map<string, Buffer>>((resolve, reject) => {
    yauzl.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { lazyEntries: true, strictFileNames: true }, (error, zip) => {
      if (error !== null || zip === undefined) return reject(error ?? new Error("not a zip"))
      const files = new Map<string, Buffer>()
      zip.on("error", reject)
      zip.on("end", () => resolve(files))
      zip.on("entry", (entry: yauzl.Entry) => {
        if (files.has(entry.fileName)) return reject(new Error(`${entry.fileName} appears twice`))
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError !== null || stream === undefined) return reject(streamError ?? new Error("unreadable entry"))
          const chunks: Array<Buffer> = []
          stream.on("data", (chunk: Buffer) => chunks.push(chunk))
          stream.on("error", reject)
          stream.on("end", () => {
            files.set(entry.fileName, Buffer.concat(chunks))
            zip.readEntry()
          })
        })
      })
      zip.readEntry()
    })
  })
