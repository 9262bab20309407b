// WebKitGTK's MiniBrowser through WebKitWebDriver and webdriverio (see browser.mjs for what
// an engine adapter provides). It needs an X display: run the bench under `xvfb-run -a`.
import { openWebKitSession } from '../webkit-session.mjs'

/**
 * WebDriver's default script timeout is 30 s; a full run's log fill may take longer. Ten
 * minutes: a call that hangs (a database delete blocked for good) ends the run, not never.
 */
const SCRIPT_TIMEOUT_MS = 10 * 60_000

/**
 * Headers for the page: cross-origin isolated, for a clock in 20 µs steps. Otherwise WebKit
 * gives performance.now() in 1 ms steps, too coarse for latencies of a few ms; no setting
 * reachable through WebDriver changes that. Everything the page loads (modules, workers)
 * comes from the same Vite server, so the isolation blocks nothing.
 */
export const pageHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
}

export async function launch() {
  const session = await openWebKitSession({ scriptTimeoutMs: SCRIPT_TIMEOUT_MS })
  return {
    name: 'WebKitGTK MiniBrowser',
    version: session.version,
    mode: `X display ${process.env.DISPLAY ?? '(none)'}`,
    clockNote: 'page served cross-origin isolated, COOP + COEP; 1 ms steps otherwise',
    // MiniBrowser in automation mode (`--automation`, which WebKitWebDriver requires) gives
    // its views an ephemeral website data manager: no IndexedDB file is ever opened.
    storage: 'none: IndexedDB in memory (MiniBrowser under WebDriver is ephemeral), so strict commits cost no fsync',
    // Each tab a window of its own, so both are visible at once, as headless Chromium
    // reports its tabs.
    notes: ['each tab is a window of its own (WebDriver New Window)'],
    openTab: (url) => session.openWindow(url),
    close: () => session.close(),
  }
}
