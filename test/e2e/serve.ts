import { fileURLToPath } from 'node:url'
import { createServer, defaultClientConditions, type ViteDevServer } from 'vite'

/**
 * Serves test/e2e/fixture on 127.0.0.1 (a secure context: Web Locks and storage APIs work)
 * with the workspace packages resolved to their sources.
 *
 * @example
 * ```ts
 * const { url, close } = await serveFixture()
 * await page.goto(url)
 * ```
 */
export async function serveFixture(): Promise<{ url: string; origin: string; close: () => Promise<void> }> {
  const server: ViteDevServer = await createServer({
    configFile: false,
    root: fileURLToPath(new URL('./fixture', import.meta.url)),
    logLevel: 'warn',
    resolve: { conditions: ['@brook/source', ...defaultClientConditions] },
    // No HMR client: its WebSocket would keep pages out of the back/forward cache.
    server: { host: '127.0.0.1', port: 0, strictPort: false, hmr: false, ws: false },
  })
  await server.listen()
  const url = server.resolvedUrls?.local[0]
  if (url === undefined) throw new Error('the fixture server has no URL')
  return { url, origin: new URL(url).origin, close: () => server.close() }
}
