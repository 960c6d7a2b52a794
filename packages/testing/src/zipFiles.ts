import yauzl from "yauzl"
import yazl from "yazl"

/** Every entry of a zip, by name: to look inside an audit pack, or to tamper with one. */
export const readZip = (bytes: Uint8Array) =>
  new Promise<Map<string, Buffer>>((resolve, reject) => {
    yauzl.fromBuffer(Buffer.from(bytes), { lazyEntries: true }, (error, zip) => {
      if (error !== null || zip === undefined) return reject(error ?? new Error("not a zip"))
      const files = new Map<string, Buffer>()
      zip.on("error", reject)
      zip.on("end", () => resolve(files))
      zip.on("entry", (entry: yauzl.Entry) => {
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

/** A zip of the given entries, in order. */
export const writeZip = (files: ReadonlyMap<string, Uint8Array>) =>
  new Promise<Buffer>((resolve, reject) => {
    const zip = new yazl.ZipFile()
    for (const [name, bytes] of files) zip.addBuffer(Buffer.from(bytes), name)
    zip.end()
    const chunks: Array<Buffer> = []
    zip.outputStream.on("data", (chunk: Buffer) => chunks.push(chunk))
    zip.outputStream.on("error", reject)
    zip.outputStream.on("end", () => resolve(Buffer.concat(chunks)))
  })
