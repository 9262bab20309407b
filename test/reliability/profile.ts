import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'
import { chromiumArgs, chromiumPath } from '../engines.mjs'
import type { History } from './history.ts'

// test/e2e/browser.ts's launchFresh makes and deletes its own profile; the reliability
// suite must relaunch the SAME profile after a browser SIGKILL and reopen it for the
// checker, and it needs the browser's pid to kill it. Same binary and flags (engines.mjs).

/** A browser profile directory that outlives the browsers launched on it. */
export interface Profile {
  readonly dir: string
  /** The running browser, if any. */
  context: BrowserContext | undefined
  /** Pid of the running browser's main process. */
  pid: number
  /** (Re)launches a browser on this profile; the history is attached before any page loads. */
  launch(history?: History): Promise<BrowserContext>
  /** Closes the browser gracefully (kept profile). */
  close(): Promise<void>
  /** Closes the browser and deletes the profile. */
  dispose(): Promise<void>
}

/**
 * Makes a fresh profile (nothing launched yet).
 *
 * @example
 * ```ts
 * const profile = createProfile()
 * const context = await profile.launch(history)
 * ```
 */
export function createProfile(options: { backForwardCache?: boolean } = {}): Profile {
  const dir = mkdtempSync(join(tmpdir(), 'brook-reliability-'))
  const profile: Profile = {
    dir,
    context: undefined,
    pid: 0,
    async launch(history) {
      const context = await chromium.launchPersistentContext(dir, {
        executablePath: chromiumPath,
        headless: true,
        args: chromiumArgs,
        // Playwright turns the back/forward cache off by default; bfcache scenarios need it.
        ...(options.backForwardCache === true ? { ignoreDefaultArgs: ['--disable-back-forward-cache'] } : {}),
      })
      profile.context = context
      profile.pid = browserPid(dir)
      if (history !== undefined) await history.attach(context)
      return context
    },
    async close() {
      const c = profile.context
      profile.context = undefined
      await c?.close().catch(() => {})
    },
    async dispose() {
      await profile.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  return profile
}

interface Proc {
  pid: number
  ppid: number
  cmdline: string
}

/** Every process, from /proc (Linux). */
export function processes(): Proc[] {
  const out: Proc[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ')
      out.push({ pid: Number(name), ppid, cmdline })
    } catch {
      // The process ended while we looked.
    }
  }
  return out
}

/** `root` and every process below it. */
export function descendants(root: number, all = processes()): Proc[] {
  const found = all.filter((p) => p.pid === root)
  for (let i = 0; i < found.length; i++) {
    for (const p of all) if (p.ppid === (found[i] as Proc).pid) found.push(p)
  }
  return found
}

// Other people run browsers on this machine: ours is the one started with our profile dir
// (not the Debian wrapper script, which execs it).
function browserPid(dir: string): number {
  const all = processes()
  const main = all.find((p) => p.cmdline.includes(`--user-data-dir=${dir}`) && !p.cmdline.includes('--type='))
  if (main === undefined) throw new Error(`no browser process for ${dir}`)
  return main.pid
}

/** SIGKILLs the renderer processes of the browser `pid` (single-tab scenarios). */
export function killRenderers(pid: number): number {
  const renderers = descendants(pid).filter((p) => p.cmdline.includes('--type=renderer'))
  for (const p of renderers) killQuietly(p.pid)
  return renderers.length
}

/** SIGKILLs the browser `pid` and every process below it, as a power cut of the app would. */
export function killTree(pid: number): void {
  for (const p of descendants(pid).reverse()) killQuietly(p.pid)
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL')
  } catch {
    // Already gone.
  }
}
