import { readZipEntries } from "@releasepassport/app"
import yazl from "yazl"

/** Every entry of a zip, by name: to look inside an audit pack, read as `report verify` reads it. */
export const readZip = (bytes: Uint8Array) => readZipEntries(bytes)

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
