// The one place that says how Brook's tests find and start each browser engine (Web Test
// Runner, the Node-side e2e tests, the reliability suite and the benchmark all import it).
// Every engine comes from Debian's packages; nothing is downloaded.
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'

/** Path of the Chromium binary: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Flags for headless Chromium as root on machines without outside network: no sandbox
 * (root), no GPU, and no background network traffic that would be refused.
 */
export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Path of Firefox: `FIREFOX_PATH`, else Debian's `firefox-esr`. Driven by puppeteer-core (WebDriver BiDi). */
export const firefoxPath = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr'

/**
 * Firefox preferences for tests. `navigator.storage.persist()` otherwise waits for a
 * permission prompt that nobody answers in a headless browser.
 */
export const firefoxPrefs = {
  'dom.storageManager.prompt.testing': true,
  'dom.storageManager.prompt.testing.allow': true,
}

/**
 * Playwright options for headless Chromium, for `launch` and `launchPersistentContext`.
 * `backForwardCache: true` keeps the cache on (Playwright turns it off by default).
 *
 * @example
 * ```js
 * const browser = await chromium.launch(chromiumLaunchOptions())
 * ```
 */
export function chromiumLaunchOptions({ backForwardCache = false } = {}) {
  return {
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    ...(backForwardCache ? { ignoreDefaultArgs: ['--disable-back-forward-cache'] } : {}),
  }
}

/**
 * puppeteer-core options for headless Firefox: `prefs` on top of {@link firefoxPrefs}, and
 * any other launch option in `more` (a kept `userDataDir`, a `protocolTimeout`).
 *
 * @example
 * ```js
 * const browser = await puppeteer.launch(firefoxLaunchOptions({}, { userDataDir: dir }))
 * ```
 */
export function firefoxLaunchOptions(prefs = {}, more = {}) {
  return {
    browser: /** @type {const} */ ('firefox'),
    executablePath: firefoxPath,
    headless: true,
    ...more,
    extraPrefsFirefox: { ...firefoxPrefs, ...prefs },
  }
}

/** WebKitGTK's MiniBrowser (`MINIBROWSER_PATH`), driven by Debian's WebKitWebDriver. It needs an X display. */
export const miniBrowserPath = process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser'
export const webkitDriverPath = process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver'

/**
 * WebDriver capabilities for a MiniBrowser session. `--automation` is required by
 * WebKitWebDriver (without it the session is never created).
 */
export const webkitCapabilities = {
  browserName: 'MiniBrowser',
  'wdio:enforceWebDriverClassic': true,
  'webkitgtk:browserOptions': { binary: miniBrowserPath, args: ['--automation'] },
}

/**
 * The environment WebKit runs in. It formats numbers by `LANG`, where Chromium and Firefox
 * headless use en-US whatever the machine says; the tests expect en-US.
 */
export const webkitEnv = { LANG: 'en_US.UTF-8' }

/** The engines the tests know, by the names `BROOK_BROWSERS` takes. */
export const allEngines = ['chromium', 'firefox', 'webkit']

/**
 * The engines to test: `BROOK_BROWSERS` (comma-separated), else all three.
 *
 * @example
 * ```sh
 * BROOK_BROWSERS=firefox pnpm exec web-test-runner
 * ```
 */
export function selectedEngines(fallback = allEngines) {
  const named = process.env.BROOK_BROWSERS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (named === undefined || named.length === 0) return fallback
  const unknown = named.filter((n) => !allEngines.includes(n))
  if (unknown.length > 0) throw new Error(`BROOK_BROWSERS names unknown engines: ${unknown.join(', ')}`)
  return named
}

/**
 * Starts WebKitWebDriver on a free loopback port; resolves once it answers `/status`.
 * The driver is killed on `stop()` and when this process exits: orphaned, it would keep
 * the parent's output pipes open.
 *
 * @returns {Promise<{ port: number, stop: () => void }>}
 */
export async function startWebKitDriver() {
  const port = await freePort()
  const driver = spawn(webkitDriverPath, [`--port=${port}`, '--host=127.0.0.1'], {
    stdio: 'ignore',
    env: { ...process.env, ...webkitEnv },
  })
  const stop = () => {
    if (driver.exitCode === null) driver.kill()
  }
  process.once('exit', stop)
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/status`)).ok) return { port, stop }
    } catch {
      // not listening yet
    }
    if (driver.exitCode !== null) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  stop()
  throw new Error(`${webkitDriverPath} did not start (is webkit2gtk-driver installed, and is there an X display?)`)
}

/** @returns {Promise<number>} */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

/**
 * The binaries each engine needs, for a clear message when one is missing (and how to get
 * it on Debian or Ubuntu).
 */
export const engineBinaries = {
  chromium: [{ path: chromiumPath, package: 'chromium', env: 'CHROMIUM_PATH' }],
  firefox: [{ path: firefoxPath, package: 'firefox-esr', env: 'FIREFOX_PATH' }],
  webkit: [
    { path: miniBrowserPath, package: 'webkit2gtk-driver', env: 'MINIBROWSER_PATH' },
    { path: webkitDriverPath, package: 'webkit2gtk-driver', env: 'WEBKIT_DRIVER_PATH' },
  ],
}
