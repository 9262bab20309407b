// The one place that says how Brook's tests launch Chromium (Web Test Runner, the Node-side
// e2e tests and the benchmark all import it).

/** Path of the Chromium binary: `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`. */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Flags for headless Chromium as root on machines without outside network (TOOLCHAIN.md):
 * no sandbox (root), no GPU, and no background network traffic that would be refused.
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
