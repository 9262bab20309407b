import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { descendants } from './profile.ts'

/** Why fsync counting cannot run here, or undefined when it can. */
export function straceMissing(): string | undefined {
  const probe = spawnSync('strace', ['-V'], { encoding: 'utf8' })
  return probe.status === 0 ? undefined : 'strace is not installed (apt-get install strace)'
}

/**
 * Traces fsync/fdatasync in the browser `pid` and all its processes until `stop()`, which
 * resolves with the calls made on IndexedDB's LevelDB files.
 *
 * @example
 * ```ts
 * const trace = await traceSyncs(profile.pid, outFile)
 * await appendSome()
 * const { onIndexedDb } = await trace.stop()
 * ```
 */
export async function traceSyncs(pid: number, out: string): Promise<{ stop(): Promise<{ onIndexedDb: number }> }> {
  const pids = descendants(pid).flatMap((p) => ['-p', String(p.pid)])
  const child = spawn('strace', ['-f', '-y', '-e', 'trace=fsync,fdatasync', '-o', out, ...pids], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  // strace reports each attached process on stderr ("Process N attached"): wait for all.
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
      if ((stderr.match(/attached/g) ?? []).length >= pids.length / 2) resolve()
    })
    child.once('exit', (code) => reject(new Error(`strace exited (${String(code)}): ${stderr.slice(0, 300)}`)))
  })
  return {
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGINT')
      await exited
      const lines = readFileSync(out, 'utf8').split('\n')
      const onIndexedDb = lines.filter((l) => /\b(fsync|fdatasync)\(\d+</.test(l) && l.includes('.indexeddb.leveldb/'))
      return { onIndexedDb: onIndexedDb.length }
    },
  }
}
