import type { Browser } from './profile.ts'
import type { Failure, Op, Rec } from './protocol.ts'

/** How an operation ended, as far as Node knows: `info` is indeterminate (Jepsen). */
export type Outcome =
  | { status: 'ok'; position: number; version: number; t: number }
  | { status: 'fail'; failure: Failure; t: number }
  | { status: 'info' }

export interface OpRecord {
  op: Op
  invokedAt: number
  outcome: Outcome
}

export interface ProgressRecord {
  actor: string
  t: number
  state: string
  position: number
}

/**
 * The operation history of one scenario, fed by every page of the browser through the
 * `__relRecord` binding. An operation is recorded before it is issued; one whose outcome
 * never arrived (the tab died first) stays `info`.
 */
export class History {
  readonly ops = new Map<string, OpRecord>()
  readonly progress: ProgressRecord[] = []
  /** Outcomes that arrived for operations never invoked: a harness defect, counted apart. */
  orphans = 0
  private waiters = new Set<() => void>()

  add(rec: Rec): void {
    if (rec.kind === 'invoke') {
      this.ops.set(rec.op.id, { op: rec.op, invokedAt: rec.t, outcome: { status: 'info' } })
    } else if (rec.kind === 'progress') {
      this.progress.push({ actor: rec.actor, t: rec.t, state: rec.state, position: rec.position })
    } else {
      const r = this.ops.get(rec.id)
      if (r === undefined) this.orphans += 1
      else if (rec.kind === 'ok') r.outcome = { status: 'ok', position: rec.position, version: rec.version, t: rec.t }
      else r.outcome = { status: 'fail', failure: rec.failure, t: rec.t }
    }
    for (const w of [...this.waiters]) w()
  }

  /** Feeds this history from every page of `browser` (call once per browser, before any page loads). */
  async attach(browser: Pick<Browser, 'expose'>): Promise<void> {
    await browser.expose('__relRecord', (rec: Rec) => this.add(rec))
  }

  list(): OpRecord[] {
    return [...this.ops.values()]
  }

  acked(): number {
    let n = 0
    for (const r of this.ops.values()) if (r.outcome.status === 'ok') n += 1
    return n
  }

  /** Resolves once `predicate` holds (re-checked on every record); rejects after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (predicate()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return
        done()
        resolve()
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        this.waiters.delete(check)
      }
      this.waiters.add(check)
    })
  }

  /** The last progress record of each actor. */
  lastProgress(): Map<string, ProgressRecord> {
    const out = new Map<string, ProgressRecord>()
    for (const p of this.progress) out.set(p.actor, p)
    return out
  }
}
