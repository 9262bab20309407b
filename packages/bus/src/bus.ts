import { BrookError, newEventId, parse, toPlainJson, type JsonValue } from '@brook/core'
import * as v from 'valibot'
import { onBackForwardCache } from './page-lifecycle.ts'
import { BUS_PROTOCOL, decodeBusMessage, type BusMessage } from './protocol.ts'

export interface BusOptions {
  /**
   * Called with a `BrookError` when a channel message is malformed or from another protocol
   * version, or a subscriber throws. Such failures never reach publishers or other
   * subscribers. Default: `console.warn`.
   */
  onError?: (error: BrookError) => void
}

/** A topic subscriber. It gets messages published after it subscribed, never earlier ones. */
export type TopicHandler = (message: JsonValue, topic: string) => void

/**
 * One origin-wide channel, namespaced by `name`: ephemeral pub/sub topics and log-advance
 * notices between every tab and worker that opens a bus of the same name.
 */
export interface Bus {
  readonly name: string
  /** Delivers `message` (JSON) to every subscriber of `topic` open now, here and elsewhere. */
  publish(topic: string, message: unknown): void
  /** Subscribes to one topic; returns its unsubscribe. */
  subscribe(topic: string, handler: TopicHandler): () => void
  /** Tells every other context that the log now ends at `head`. */
  announceHead(head: number): void
  /**
   * Calls `handler` when another context announces a new head (or with 0 when notices may
   * have been missed, e.g. back from the back/forward cache); returns its cleanup.
   */
  onHead(handler: (head: number) => void): () => void
  /** Closes the channel; subscriptions end. */
  close(): void
}

const Topic = v.pipe(
  v.string(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(256, 'must be at most 256 characters'),
)

/**
 * Opens the bus `name` (one BroadcastChannel, `brook:<name>`).
 *
 * Echo suppression: a context sees its own publish exactly once. The publishing bus
 * delivers to its own subscribers directly; BroadcastChannel never echoes to the posting
 * object, and other buses (this context's or another's) receive it through the channel.
 *
 * @example
 * ```ts
 * const bus = createBus('shop')
 * const off = bus.subscribe('cursor', (m) => console.log(m))
 * bus.publish('cursor', { x: 1, y: 2 })
 * off()
 * bus.close()
 * ```
 */
export function createBus(name: string, options: BusOptions = {}): Bus {
  const onError = options.onError ?? ((e: BrookError) => console.warn(e))
  const sender = newEventId()
  let channel: BroadcastChannel | undefined
  const topics = new Map<string, Set<TopicHandler>>()
  const heads = new Set<(head: number) => void>()
  let closed = false

  const deliver = (topic: string, message: JsonValue) => {
    for (const handler of [...(topics.get(topic) ?? [])]) {
      try {
        handler(message, topic)
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err)
        onError(
          BrookError.create(
            'HANDLER_FAILED',
            `subscriber of ${topic} threw: ${reason}`,
            { reason, where: `topic ${topic}` },
            err,
          ),
        )
      }
    }
  }

  const onMessage = (event: MessageEvent<unknown>) => {
    const msg = decodeBusMessage(event.data)
    if (msg instanceof BrookError) return onError(msg)
    if (msg.sender === sender) return
    if (msg.kind === 'head') {
      for (const handler of [...heads]) handler(msg.head)
      return
    }
    let message: JsonValue
    try {
      message = toPlainJson(msg.message, 'message.message')
    } catch (err) {
      return onError(err as BrookError)
    }
    deliver(msg.topic, message)
  }
  const onMessageError = () => {
    const reason = 'a message could not be deserialised'
    onError(BrookError.create('VALIDATION', `bus message: ${reason}`, { path: 'message', reason }))
  }
  const open = () => {
    channel = new BroadcastChannel(`brook:${name}`)
    channel.onmessage = onMessage
    channel.onmessageerror = onMessageError
  }
  open()

  // A message arriving while the page sits in the back/forward cache evicts it (Chromium's
  // reason "broadcastchannel-message"). Close the channel on the way in, open it again on
  // the way out, and tell head listeners that notices may have been missed (head 0).
  const leaveCache = onBackForwardCache({
    enter() {
      if (closed) return
      channel?.close()
      channel = undefined
    },
    leave() {
      if (closed || channel !== undefined) return
      open()
      for (const handler of [...heads]) handler(0)
    },
  })

  const post = (msg: BusMessage) => {
    if (!closed) channel?.postMessage(msg)
  }
  const ensureOpen = () => {
    if (closed) throw BrookError.create('STORE_CLOSED', `bus ${name} is closed`, { reason: 'close() was called' })
  }

  return {
    name,
    publish(topic, message) {
      ensureOpen()
      const t = parse(Topic, topic, 'topic')
      const data = toPlainJson(message, 'message')
      post({ protocol: BUS_PROTOCOL, kind: 'topic', sender, topic: t, message: data })
      // Local subscribers get it on a microtask, like remote ones get it on a task: a
      // publish never runs subscriber code inside the publisher's call.
      queueMicrotask(() => {
        if (!closed) deliver(t, data)
      })
    },
    subscribe(topic, handler) {
      ensureOpen()
      const t = parse(Topic, topic, 'topic')
      const set = topics.get(t) ?? new Set()
      // Wrap so the same function subscribed twice gets two independent subscriptions.
      const own: TopicHandler = (m, tp) => handler(m, tp)
      set.add(own)
      topics.set(t, set)
      return () => {
        set.delete(own)
        if (set.size === 0) topics.delete(t)
      }
    },
    announceHead(head) {
      post({ protocol: BUS_PROTOCOL, kind: 'head', sender, head })
    },
    onHead(handler) {
      const own = (h: number) => handler(h)
      heads.add(own)
      return () => heads.delete(own)
    },
    close() {
      if (closed) return
      closed = true
      topics.clear()
      heads.clear()
      channel?.close()
      leaveCache()
    },
  }
}
