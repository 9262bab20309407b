import { History } from './history.ts'
import { createProfile, type Engine, type Profile } from './profile.ts'
import { harness } from './report.ts'

/**
 * One browser shared by the scenarios of a file that inject no browser-wide fault (each uses
 * its own store names): a launch per file (and engine, Chromium by default) instead of per scenario. Each scenario gets a fresh
 * History (the `__relRecord` binding feeds the current one) and its pages are closed after
 * it. Any failure throws the browser away: the next scenario launches a fresh one.
 *
 * @example
 * ```ts
 * const shared = sharedBrowser()
 * afterAll(() => shared.dispose())
 * await shared.run(async (profile, history) => { … })
 * ```
 */
export function sharedBrowser(engine: Engine = 'chromium') {
  let profile: Profile | undefined
  let current: History | undefined
  const dispose = async (): Promise<void> => {
    const p = profile
    profile = undefined
    await p?.dispose()
  }
  return {
    async run(scenario: (profile: Profile, history: History) => Promise<void>): Promise<void> {
      if (profile === undefined) {
        const fresh = createProfile({ engine })
        profile = fresh
        const browser = await harness('launch', () => fresh.start())
        await browser.expose('__relRecord', (rec: Parameters<History['add']>[0]) => current?.add(rec))
      }
      const history = new History()
      current = history
      try {
        await scenario(profile, history)
      } catch (err) {
        await dispose()
        throw err
      } finally {
        current = undefined
        await profile?.browser?.closeTabs()
      }
    },
    dispose,
  }
}
