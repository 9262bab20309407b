/** The browser engine running this code, by its user agent; `'Node'` outside a browser. */
export type EngineName = 'Chromium' | 'Firefox' | 'WebKit' | 'Node'

/**
 * Which engine runs this code. For messages and skip reasons only: code under test should
 * detect features, never engines.
 *
 * @example
 * ```ts
 * console.log(`running in ${engineName()}`)
 * ```
 */
export function engineName(): EngineName {
  const agent = globalThis.navigator?.userAgent ?? ''
  if (agent.includes('Firefox/')) return 'Firefox'
  if (agent.includes('Chrome/')) return 'Chromium'
  if (agent.includes('AppleWebKit/')) return 'WebKit'
  return 'Node'
}

/** The part of a Mocha test context this needs (`this` in a `function () {}` test). */
export interface SkippableTest {
  skip(): void
  test?: { title: string } | undefined
}

/**
 * Skips the running test when `available` is false, saying why in its title: the engine and
 * the feature it lacks. For features an engine truly lacks (not for bugs to fix), so the
 * test's assertions stay as strong everywhere it runs.
 *
 * @example
 * ```ts
 * it('keeps a high-water mark in OPFS', async function () {
 *   skipUnless(this, await hasOpfs(), 'the origin private file system (OPFS)')
 *   // ...
 * })
 * ```
 */
export function skipUnless(context: SkippableTest, available: boolean, feature: string): void {
  if (available) return
  if (context.test !== undefined) context.test.title += ` [skipped: ${engineName()} has no ${feature}]`
  context.skip()
}
