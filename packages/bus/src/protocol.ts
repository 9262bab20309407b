import * as v from 'valibot'
import { BrookError, type JsonValue } from '@brook/core'

/**
 * The BroadcastChannel wire format. Another tab may run older or newer code, or anything
 * else on the origin may post to the channel, so every message is validated on receipt and
 * carries the protocol version. Bump `BUS_PROTOCOL` when a message changes shape; add a
 * kind rather than change one where possible.
 */
export const BUS_PROTOCOL = 1

const Sender = v.pipe(v.string(), v.minLength(1), v.maxLength(128))

/** A pub/sub message on a topic. `message` is JSON, validated by the publisher. */
const TopicMessage = v.strictObject({
  protocol: v.literal(BUS_PROTOCOL),
  kind: v.literal('topic'),
  sender: Sender,
  topic: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
  message: v.unknown(),
})

/** "The log now ends at `head`": a hint to wake readers; never relied on for correctness. */
const HeadMessage = v.strictObject({
  protocol: v.literal(BUS_PROTOCOL),
  kind: v.literal('head'),
  sender: Sender,
  head: v.pipe(v.number(), v.safeInteger(), v.minValue(0)),
})

const BusMessageSchema = v.variant('kind', [TopicMessage, HeadMessage])

export type TopicMessage = Omit<v.InferOutput<typeof TopicMessage>, 'message'> & { message: JsonValue }
export type HeadMessage = v.InferOutput<typeof HeadMessage>
export type BusMessage = TopicMessage | HeadMessage

/**
 * Checks a message received from the channel; returns it typed, or a `VALIDATION` error
 * that says what was wrong (for the bus's error callback, never thrown at app code).
 *
 * @example
 * ```ts
 * const msg = decodeBusMessage(event.data)
 * if (msg instanceof BrookError) onError(msg)
 * ```
 */
export function decodeBusMessage(data: unknown): BusMessage | BrookError {
  if (typeof data === 'object' && data !== null && 'protocol' in data && data.protocol !== BUS_PROTOCOL) {
    const reason = `protocol ${String(data.protocol)} is not ${BUS_PROTOCOL} (another tab runs other code)`
    return BrookError.create('VALIDATION', `bus message: ${reason}`, { path: 'message.protocol', reason })
  }
  const result = v.safeParse(BusMessageSchema, data)
  if (result.success) return result.output as BusMessage
  const issue = result.issues[0]
  const path = ['message', ...(issue.path ?? []).map((p) => String(p.key))].join('.')
  return BrookError.create('VALIDATION', `bus message: ${path}: ${issue.message}`, { path, reason: issue.message })
}
