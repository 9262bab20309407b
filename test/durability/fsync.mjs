// What IndexedDB's `durability` hint ('strict', 'relaxed', or no option) does to fsync/fdatasync
// on each engine's backing files, counted as test/reliability/strace.ts does for Chromium:
// `strace -f -y` on the browser's whole process tree, each call attributed to its file by path.
//
//   xvfb-run -a node test/durability/fsync.mjs [--browser chromium|firefox|webkit]... [--n 50] [--settle 3000]
//
// xvfb-run is only for WebKit. syncs = calls on IndexedDB files while the N commits ran; later =
// calls on them in the settle time after (deferred WAL checkpoints). Needs strace and ptrace
// rights (root). JSON goes to /tmp/brook-durability (test/durability/results is not gitignored).
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { parseArgs } from 'node:util'
import { chromium } from 'playwright-core'
import puppeteer from 'puppeteer-core'
import * as engines from '../engines.mjs'

const { values: opts } = parseArgs({
  options: {
    browser: { type: 'string', multiple: true, default: engines.allEngines },
    n: { type: 'string', default: '50' },
    settle: { type: 'string', default: '3000' },
  },
})
const N = Number(opts.n)
// SQLite engines (Firefox) checkpoint the WAL on idle, seconds after the last commit: wait
// this long before and after the commits so late syncs are seen, and not blamed on the next mode.
const SETTLE = Number(opts.settle)
const MODES = ['strict', 'relaxed', 'default']
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

// The page drives itself and talks to the server at each step, so the same page works in a
// MiniBrowser that no driver controls (launchers.webkit). A warm-up commit before tracing
// keeps table creation and first-write work out of the counts.
const page = `<!doctype html><title>fsync</title><script type="module">
const post = (path) => fetch(path, { method: 'POST' }).then((r) => { if (!r.ok) throw new Error(path + ' ' + r.status) })
onerror = onunhandledrejection = (e) => post('/error?m=' + encodeURIComponent(String(e.reason ?? e.message)))
const open = (name) => new Promise((resolve, reject) => {
  const req = indexedDB.open(name, 1)
  req.onupgradeneeded = () => req.result.createObjectStore('s', { autoIncrement: true })
  req.onsuccess = () => resolve(req.result)
  req.onerror = () => reject(req.error)
})
const commit = (db, mode) => new Promise((resolve, reject) => {
  // 'default' passes no options at all: that is what an app that never heard of the hint does.
  const tx = mode === 'default' ? db.transaction('s', 'readwrite') : db.transaction('s', 'readwrite', { durability: mode })
  tx.objectStore('s').add({ at: Date.now(), pad: 'x'.repeat(100) })
  tx.oncomplete = () => resolve(tx.durability)
  tx.onerror = tx.onabort = () => reject(tx.error)
})
const q = new URLSearchParams(location.search)
for (const mode of q.get('modes').split(',')) {
  const db = await open('fsync-' + mode)
  const reported = await commit(db, mode)
  await post('/ready?mode=' + mode)
  let commits = 0
  for (let i = 0; i < Number(q.get('n')); i++) { await commit(db, mode); commits++ }
  await post('/done?mode=' + mode + '&commits=' + commits + '&reported=' + reported)
  db.close()
}
</script>`

/** Pid, parent pid and name of every process (Linux /proc); same walk as reliability/profile.ts. */
function processes() {
  return readdirSync('/proc').flatMap((name) => {
    if (!/^\d+$/.test(name)) return []
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      return [{ pid: Number(name), ppid, cmdline: readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ') }]
    } catch {
      return [] // ended while we looked
    }
  })
}
function descendants(root, all = processes()) {
  const found = all.filter((p) => p.pid === root)
  for (let i = 0; i < found.length; i++) found.push(...all.filter((p) => p.ppid === found[i].pid))
  return found.map((p) => p.pid)
}
const comm = (tid) => {
  try {
    return readFileSync(`/proc/${tid}/comm`, 'utf8').trim()
  } catch {
    return '?'
  }
}

/** Attaches strace to the whole tree now (processes the tree starts later are followed by -f). */
async function traceSyncs(root, out) {
  const pids = descendants(root)
  const args = ['-f', '-y', '-ttt', '-e', 'trace=fsync,fdatasync', '-o', out, ...pids.flatMap((p) => ['-p', String(p)])]
  const child = spawn('strace', args, { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  await new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      stderr += chunk
      if ((stderr.match(/attached/g) ?? []).length >= pids.length) resolve()
    })
    child.once('exit', (code) => reject(new Error(`strace exited (${code}): ${stderr.slice(0, 300)}`)))
  })
  return async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGINT')
    await exited
    // "<pid> <epoch> fdatasync(12</path>) = 0"; "<... resumed>" halves are not counted again.
    return readFileSync(out, 'utf8')
      .split('\n')
      .flatMap((line) => {
        const m = /^(\d+)\s+(\d+\.\d+)\s+(fsync|fdatasync)\(\d+<([^>]*)>/.exec(line)
        return m === null ? [] : [{ tid: Number(m[1]), t: Number(m[2]) * 1000, call: m[3], path: m[4] }]
      })
  }
}

// Chromium: <origin>.indexeddb.leveldb/; Firefox: storage/default/<origin>/idb/; WebKit: .../IndexedDB/.
const isIdb = (path) => /indexeddb|\/idb\//i.test(path)

/** Per mode: calls on IndexedDB files during the commits, and in the settle time after them. */
function summarize(calls, commits, doneAt, dir, reported) {
  const onIdb = calls.filter((c) => isIdb(c.path))
  const files = {}
  for (const c of calls) {
    // Digit runs vary per run (LevelDB log numbers, Firefox's hashed names); WebKit's sqlite3 does not.
    const key = `${c.call} ${basename(c.path).replace(/\d{2,}/g, '#')}`
    const f = (files[key] ??= { idb: isIdb(c.path), dir: dirname(c.path).replace(dir, '~'), ms: [], threads: [] })
    f.ms.push(Math.round(c.t - doneAt)) // ms after the last commit; negative: while committing
    const thread = comm(c.tid)
    if (!f.threads.includes(thread)) f.threads.push(thread)
  }
  const during = onIdb.filter((c) => c.t <= doneAt).length
  const [perCommit, later] = [+(during / commits).toFixed(2), onIdb.length - during]
  return { reported, commits, syncs: during, perCommit, later, otherFiles: calls.length - onIdb.length, files }
}

/** Serves the page; resolves with one summary per mode once the page has run them all. */
function runPage(server, root, dir, engine) {
  return new Promise((resolve, reject) => {
    const results = {}
    let stop
    server.removeAllListeners('request')
    server.on('request', async (req, res) => {
      const url = new URL(req.url, 'http://x')
      const mode = url.searchParams.get('mode')
      try {
        if (url.pathname === '/ready') {
          await sleep(SETTLE) // let the open's and warm-up's own syncs (and checkpoints) pass
          stop = await traceSyncs(root(), join(dir, `strace-${mode}.txt`))
        } else if (url.pathname === '/done') {
          const doneAt = Date.now()
          await sleep(SETTLE)
          const commits = Number(url.searchParams.get('commits'))
          results[mode] = summarize(await stop(), commits, doneAt, dir, url.searchParams.get('reported'))
          console.error(`${engine} ${mode}: ${results[mode].syncs} syncs on IndexedDB files / ${commits} commits`)
          if (Object.keys(results).length === MODES.length) resolve(results)
        } else if (url.pathname === '/error') {
          reject(new Error(`page: ${url.searchParams.get('m')}`))
        } else {
          res.setHeader('content-type', 'text/html')
          return res.end(page)
        }
        res.end()
      } catch (err) {
        res.writeHead(500).end()
        reject(err)
      }
    })
  })
}

// Each launcher opens `url` in a fresh profile under `dir`, and returns the root pid to trace.
const launchers = {
  async chromium(url, dir) {
    const context = await chromium.launchPersistentContext(dir, engines.chromiumLaunchOptions())
    await (context.pages()[0] ?? (await context.newPage())).goto(url)
    // Other tests run Chromium here too: ours is the main process started on our profile dir.
    const main = processes().find((p) => p.cmdline.includes(`--user-data-dir=${dir}`) && !p.cmdline.includes('--type='))
    return { pid: () => main.pid, close: () => context.close() }
  },
  async firefox(url, dir) {
    const browser = await puppeteer.launch(engines.firefoxLaunchOptions({}, { userDataDir: dir }))
    await ((await browser.pages())[0] ?? (await browser.newPage())).goto(url)
    return { pid: () => browser.process().pid, close: () => browser.close() }
  },
  // Not WebDriver: MiniBrowser --automation (what WebKitWebDriver starts) uses an ephemeral
  // website data manager, so IndexedDB lives in memory and no file is ever synced. A plain
  // MiniBrowser keeps it under $XDG_DATA_HOME/webkitgtk-4.1/MiniBrowser/databases/indexeddb.
  async webkit(url, dir) {
    if (!process.env.DISPLAY) throw new Error('WebKit needs an X display: run under xvfb-run -a')
    const xdg = Object.fromEntries(['DATA', 'CACHE', 'CONFIG'].map((k) => [`XDG_${k}_HOME`, join(dir, k)]))
    const env = { ...process.env, ...engines.webkitEnv, ...xdg }
    const child = spawn(engines.miniBrowserPath, [url], { stdio: 'ignore', env })
    const gone = new Promise((resolve) => child.once('exit', resolve))
    return { pid: () => child.pid, close: () => (child.kill(), gone) }
  },
}

const server = createServer()
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${server.address().port}/?n=${N}&modes=${MODES.join(',')}`
const report = { n: N, settleMs: SETTLE, modes: MODES, engines: {} }
// One browser at a time: the machine is small and shared, and syncs from two would mix.
for (const engine of opts.browser.flatMap((b) => b.split(','))) {
  const dir = mkdtempSync(join(tmpdir(), `brook-fsync-${engine}-`))
  let browser
  try {
    const done = runPage(server, () => browser.pid(), dir, engine)
    browser = await launchers[engine](url, dir)
    const timeout = new Promise((_, reject) => setTimeout(reject, 300_000, new Error('timed out')).unref())
    report.engines[engine] = await Promise.race([done, timeout])
  } catch (err) {
    report.engines[engine] = { error: String(err?.message ?? err) }
    console.error(`${engine}: not measured: ${report.engines[engine].error}`)
  } finally {
    await browser?.close().catch(() => {})
    rmSync(dir, { recursive: true, force: true })
  }
}
server.close()

// Only IndexedDB files in the table; profile bookkeeping (prefs, history) is in the JSON.
const idbFiles = (files) => Object.entries(files).flatMap(([k, f]) => (f.idb ? [`${k} x${f.ms.length}`] : []))
console.log(`N=${N} single-add readwrite commits per mode; syncs = fsync+fdatasync on IndexedDB files`)
const rows = Object.entries(report.engines).flatMap(([engine, modes]) =>
  modes.error !== undefined
    ? [{ engine, mode: `not measured: ${modes.error}` }]
    : Object.entries(modes).map(([mode, r]) => ({
        engine,
        mode,
        'tx.durability': r.reported,
        commits: r.commits,
        syncs: r.syncs,
        'per commit': r.perCommit,
        'later (settle)': r.later,
        'other files': r.otherFiles,
        'IndexedDB files synced': idbFiles(r.files).join(', '),
      })),
)
console.table(rows)
const outDir = join(tmpdir(), 'brook-durability')
mkdirSync(outDir, { recursive: true })
const out = join(outDir, `fsync-${new Date().toISOString().replace(/[:.]/g, '-')}.json`)
writeFileSync(out, JSON.stringify(report, null, 2))
console.log(`\nJSON: ${out}`)
