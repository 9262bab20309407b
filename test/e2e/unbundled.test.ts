import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { launchPlaywright, waitReady } from './browser.ts'
import { chromiumTab } from './tab.ts'
import { serveStatic } from './static-server.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))

// The published entry points (`dist/`, through the exports maps) in a browser with no
// bundler: only an import map, as the README shows.
describe('packages without a bundler (built dist + import map, real Chromium)', () => {
  let server: Awaited<ReturnType<typeof serveStatic>>
  beforeAll(async () => {
    if (!existsSync(`${root}/packages/idb/dist/index.js`) || !existsSync(`${root}/packages/core/dist/index.js`)) {
      const built = spawnSync('pnpm', ['-r', '--filter', './packages/*', 'build'], { cwd: root, stdio: 'inherit' })
      expect(built.status).toBe(0)
    }
    server = await serveStatic(root)
  })
  afterAll(async () => {
    await server?.close()
  })

  it('appends, validates and reads back', async () => {
    const { context, close } = await launchPlaywright()
    try {
      const page = await context.newPage()
      const errors: string[] = []
      page.on('pageerror', (err) => errors.push(err.message))
      await page.goto(`${server.url}/test/e2e/unbundled/index.html`)
      await waitReady(chromiumTab(page))
      const result = await page.evaluate(() => (window as unknown as { result: unknown }).result)
      expect(errors).toEqual([])
      expect(result).toEqual({ events: [{ type: 'Hello', data: { from: 'dist' } }], validation: 'events[0].data.when' })
    } finally {
      await close()
    }
  })
})
