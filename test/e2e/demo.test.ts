import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { build, preview, type PreviewServer } from 'vite'
import { launchFresh } from './browser.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const artifacts = fileURLToPath(new URL('./artifacts', import.meta.url))

// The README's demo, built as a visitor gets it (`vite build`) and served statically.
describe('demo (built, two tabs, real Chromium)', () => {
  let server: PreviewServer
  let url: string

  beforeAll(async () => {
    const config = { configFile: `${root}/vite.config.ts`, logLevel: 'warn' as const }
    await build(config)
    server = await preview({ ...config, preview: { port: 0, host: '127.0.0.1' } })
    url = server.resolvedUrls?.local[0] ?? ''
    expect(url).not.toBe('')
    mkdirSync(artifacts, { recursive: true })
  })

  afterAll(async () => {
    await server?.close()
  })

  it('appends from one tab and shows the log live in another', async () => {
    const { context, close } = await launchFresh()
    try {
      const a = await context.newPage()
      const b = await context.newPage()
      await a.goto(url)
      await b.goto(url)
      await a.waitForSelector('body[data-ready="true"]')
      await b.waitForSelector('body[data-ready="true"]')

      await a.bringToFront()
      const app = a.locator('demo-app')
      await app.getByRole('button', { name: 'Append', exact: true }).click()
      await a.waitForSelector('body[data-head="1"]')
      await app.getByRole('button', { name: 'Append 1,000' }).click()
      await a.waitForSelector('body[data-head="1001"]')
      await expect.poll(() => app.getByTestId('log').locator('li').count()).toBe(50)
      await expect.poll(() => app.getByTestId('log').locator('li').first().textContent()).toContain('#1001')

      // Tab B never appended: it sees A's events through the shared log.
      await b.bringToFront()
      await b.waitForSelector('body[data-head="1001"]')
      const row = b.locator('demo-app').getByRole('row', { name: /device-1/ })
      await expect.poll(() => row.textContent()).toContain('1001')
      await a.screenshot({ path: `${artifacts}/demo-after-append.png`, fullPage: true })
    } finally {
      await close()
    }
  })

  it('shows event data as text, never as HTML', async () => {
    const { context, close } = await launchFresh()
    try {
      const page = await context.newPage()
      await page.goto(url)
      await page.waitForSelector('body[data-ready="true"]')
      await page.evaluate(() => {
        ;(window as unknown as { pwned: number }).pwned = 0
      })
      const app = page.locator('demo-app')
      await app.getByLabel('Type').fill('<img src=x onerror="window.pwned++">')
      await app.getByLabel('Data (JSON)').fill('{"html": "<img src=x onerror=\\"window.pwned++\\">"}')
      await app.getByRole('button', { name: 'Append', exact: true }).click()
      await page.waitForSelector('body[data-head="1"]')
      await expect.poll(() => app.getByTestId('log').textContent()).toContain('<img src=x onerror=')
      expect(await page.evaluate(() => (window as unknown as { pwned: number }).pwned)).toBe(0)
      expect(await app.getByTestId('log').locator('img').count()).toBe(0)
    } finally {
      await close()
    }
  })
})
