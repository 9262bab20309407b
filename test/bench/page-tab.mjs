/**
 * A bench tab over a Playwright page (Chromium) or a puppeteer page (Firefox), at `url`:
 * its errors and warnings printed, and brought to the front first, since a background tab
 * is throttled.
 *
 * @example
 * ```js
 * const tab = await pageTab(await context.newPage(), url)
 * await tab.evaluate(() => window.brookBench.info())
 * ```
 */
export async function pageTab(page, url) {
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`))
  page.on('console', (msg) => {
    const type = msg.type()
    // Playwright says 'warning', puppeteer 'warn'.
    if (type === 'error' || type === 'warning' || type === 'warn') console.error(`[page ${type}] ${msg.text()}`)
  })
  await page.bringToFront()
  await page.goto(url)
  return {
    evaluate: (fn, arg) => page.evaluate(fn, arg),
    bringToFront: () => page.bringToFront(),
    close: () => page.close(),
  }
}
