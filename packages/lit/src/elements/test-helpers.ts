import { openEventStore } from '@brook/idb'
import type { EventStore, NewEvent } from '@brook/core'

let counter = 0

/** A database name no other test uses, so every test starts empty. */
export function uniqueName(prefix: string): string {
  counter += 1
  return `lit-${prefix}-${Date.now().toString(36)}-${counter}`
}

function deleteStore(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(`brook:${name}`)
    req.onsuccess = () => resolve()
    req.onerror = () => reject(req.error ?? new Error('deleteDatabase failed'))
  })
}

/** Opens real IndexedDB stores and closes and deletes them all in `cleanup()` (call in afterEach). */
export function storeKeeper() {
  const opened: EventStore[] = []
  return {
    async open(prefix: string): Promise<EventStore> {
      // Relaxed: these tests are about rendering, and a flush per append only slows them.
      const store = await openEventStore(uniqueName(prefix), { durability: 'relaxed' })
      opened.push(store)
      return store
    },
    async cleanup(): Promise<void> {
      const names = opened.map((s) => s.name)
      await Promise.all(opened.splice(0).map((s) => s.close()))
      await Promise.all(names.map(deleteStore))
    },
  }
}

/** Removes every element `mount` added to the page (call in afterEach). */
export function mounter() {
  const mounted: Element[] = []
  return {
    mount<T extends Element>(el: T): T {
      document.body.append(el)
      mounted.push(el)
      return el
    },
    cleanup(): void {
      for (const el of mounted.splice(0)) el.remove()
    },
  }
}

/**
 * Resolves once `check` returns a value other than `undefined`/`null`/`false`, polling every
 * 16 ms; rejects naming `what` after `timeoutMs` (generous: the machine is shared).
 */
export async function until<T>(
  what: string,
  check: () => T | undefined | null | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined && value !== null && value !== false) return value
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 16))
  }
}

export const ev = (type: string, data: unknown = null): NewEvent => ({ type, data })

/** Appends `count` events in batches of `batch`, spread over `streams` streams. */
export async function appendMany(store: EventStore, count: number, batch = 1000, streams = 10): Promise<void> {
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start)
    const events = Array.from({ length: n }, (_, i) => ev('Tick', { n: start + i + 1 }))
    await store.append(`stream-${(start / batch) % streams}`, events)
  }
}

/** Rows of a virtualised list in `root` (only the rendered ones). */
export function rows(root: ShadowRoot | null | undefined): HTMLElement[] {
  return [...(root?.querySelectorAll<HTMLElement>('.list [role="option"]') ?? [])]
}

/** Positions of the rendered rows whose event has loaded. */
export function loadedPositions(root: ShadowRoot | null | undefined): number[] {
  return rows(root)
    .filter((r) => r.querySelector('.type') !== null)
    .map((r) => Number(r.dataset.position))
    .sort((a, b) => a - b)
}

/**
 * Runs a Web Test Runner server command. `@web/test-runner` registers its built-in command
 * plugins (emulate-media among them) by default; this is the browser half of
 * `@web/test-runner-commands`, which is not a dependency of this package.
 */
export async function serverCommand(command: string, payload: unknown): Promise<unknown> {
  const sessionId = new URL(location.href).searchParams.get('wtr-session-id')
  if (sessionId === null) throw new Error('not running under Web Test Runner')
  const url = '/__web-dev-server__web-socket.js'
  const socket = (await import(/* @vite-ignore */ url)) as {
    sendMessageWaitForResponse(message: unknown): Promise<{ executed: boolean; result: unknown }>
  }
  const response = await socket.sendMessageWaitForResponse({ type: 'wtr-command', sessionId, command, payload })
  if (!response.executed) throw new Error(`server command ${command} is not available`)
  return response.result
}

/**
 * Silences Chromium's benign "ResizeObserver loop completed with undelivered notifications"
 * error, which the virtualizer's observers raise when a layout pass adds rows (its README:
 * "benign … may be safely ignored"). Mocha's `window.onerror` would count it as a failure,
 * and the runner's own error listener logs its missing error object as a bare `null`; both
 * are skipped for this message only, during each test. Every other error still fails.
 */
export function ignoreResizeObserverLoop(): void {
  let restore: (() => void) | undefined
  beforeEach(() => {
    const onerror = window.onerror
    const error = console.error
    // The runner's listener was registered first, so it logs `null` before this file hears of
    // the error: hold a bare `null` back for a task and drop it if a loop error claims it.
    let held = 0
    const listener = (e: ErrorEvent) => {
      if (isLoopError(e.message) && held > 0) held -= 1
    }
    window.addEventListener('error', listener)
    window.onerror = (message, ...rest): boolean => {
      if (typeof message === 'string' && isLoopError(message)) return true
      return onerror?.call(window, message, ...rest) === true
    }
    console.error = (...args: unknown[]) => {
      if (args.length !== 1 || args[0] !== null) {
        error.apply(console, args)
        return
      }
      held += 1
      setTimeout(() => {
        if (held === 0) return
        held -= 1
        error.call(console, null)
      })
    }
    restore = () => {
      window.removeEventListener('error', listener)
      window.onerror = onerror
      console.error = error
    }
  })
  afterEach(() => {
    restore?.()
    restore = undefined
  })
}

const isLoopError = (message: string) => message.includes('ResizeObserver loop')
