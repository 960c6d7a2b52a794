import type { PackEntry } from "@releasepassport/app"
import { Stream } from "effect"
import { Readable } from "node:stream"
import yazl from "yazl"

/** Entries get this time, not the wall clock's, so a pack's bytes depend on its content and generation time only. */
export const zipEntries = (entries: ReadonlyArray<PackEntry>, mtime: Date): Stream.Stream<Uint8Array> => {
  const zip = new yazl.ZipFile()
  for (const entry of entries) zip.addBuffer(Buffer.from(entry.bytes), entry.name, { mtime, mode: 0o100644 })
  zip.end()
  return Stream.fromReadableStream({
    evaluate: () => Readable.toWeb(zip.outputStream as Readable) as ReadableStream<Uint8Array>,
    onError: (error) => error
  }).pipe(Stream.orDie)
}
