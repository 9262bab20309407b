import * as v from 'valibot'
import { BrookError } from './errors.ts'
import { toPlainJson, utf8Length } from './json.ts'
import type { CommitEntry, ExpectedVersion, JsonValue, ReadOptions, ReadStreamOptions } from './types.ts'

/** Size and shape limits. `maxEventBytes` is configurable per store. */
export const Limits = {
  /** Default cap on one event (type + data + meta as UTF-8 JSON). */
  maxEventBytes: 1024 * 1024,
  maxStreamLength: 256,
  maxTypeLength: 256,
  maxIdLength: 128,
} as const

/** An event after validation: plain JSON, copied away from the caller's objects. */
export interface PreparedEvent {
  id: string
  /** Was the id supplied by the caller (so it may already be recorded)? */
  idGiven: boolean
  type: string
  data: JsonValue
  meta: Record<string, JsonValue>
}

/** One stream's part of a commit, after validation. */
export interface PreparedEntry {
  stream: string
  events: PreparedEvent[]
  expected: ExpectedVersion
}

const nonEmptyString = (max: number) =>
  v.pipe(v.string(), v.minLength(1, 'must not be empty'), v.maxLength(max, `must be at most ${max} characters`))

// Control characters would make stream names ambiguous in logs, URLs and sync keys.
const StreamSchema = v.pipe(
  nonEmptyString(Limits.maxStreamLength),
  v.regex(/^\P{Cc}*$/u, 'must not contain control characters'),
)

const ExpectedVersionSchema = v.union(
  [v.pipe(v.number(), v.safeInteger(), v.minValue(0)), v.picklist(['any', 'no-stream', 'stream-exists'])],
  "must be a version number >= 0, 'any', 'no-stream' or 'stream-exists'",
)

const NewEventSchema = v.strictObject({
  type: nonEmptyString(Limits.maxTypeLength),
  data: v.unknown(),
  id: v.optional(nonEmptyString(Limits.maxIdLength)),
  meta: v.optional(v.unknown()),
})

const EventsSchema = v.pipe(
  v.array(v.unknown(), 'must be an array of events'),
  v.minLength(1, 'must hold at least one event'),
)

const AppendOptionsSchema = v.strictObject({ expectedVersion: v.optional(ExpectedVersionSchema) })

const CommitEntrySchema = v.strictObject({
  stream: v.unknown(),
  events: v.unknown(),
  expectedVersion: v.optional(ExpectedVersionSchema),
})

const position = v.pipe(v.number(), v.safeInteger(), v.minValue(1))
const common = {
  limit: v.optional(v.pipe(v.number(), v.safeInteger(), v.minValue(0))),
  types: v.optional(v.array(v.string())),
  direction: v.optional(v.picklist(['forward', 'backward'])),
}
const ReadOptionsSchema = v.strictObject({ from: v.optional(position), ...common })
const ReadStreamOptionsSchema = v.strictObject({ fromVersion: v.optional(position), ...common })

function pathOf(base: string, issue: v.BaseIssue<unknown>): string {
  let path = base
  for (const item of issue.path ?? []) {
    path += typeof item.key === 'number' ? `[${item.key}]` : `.${String(item.key)}`
  }
  return path
}

/**
 * Parses `input` with a valibot schema; a failure becomes `VALIDATION` with the path of the
 * first issue and its reason. Unknown keys in strict schemas are reported by name.
 *
 * @example
 * ```ts
 * const opts = parse(MySchema, input, 'options')
 * ```
 */
export function parse<S extends v.GenericSchema>(schema: S, input: unknown, base: string): v.InferOutput<S> {
  const result = v.safeParse(schema, input)
  if (result.success) return result.output
  const issue = result.issues[0]
  const path = pathOf(base, issue)
  const reason = issue.type === 'strict_object' ? 'unknown key' : issue.message
  throw BrookError.create('VALIDATION', `${path}: ${reason}`, { path, reason })
}

function prepareEvents(
  raw: unknown,
  base: string,
  maxEventBytes: number,
  newId: () => string,
  seen: Set<string>,
): PreparedEvent[] {
  const list = parse(EventsSchema, raw, base)
  return list.map((item, i) => {
    const at = `${base}[${i}]`
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw BrookError.create('VALIDATION', `${at}: must be an event object`, {
        path: at,
        reason: 'must be an event object',
      })
    }
    if (!('data' in item)) {
      throw BrookError.create('VALIDATION', `${at}.data: required (use null for none)`, {
        path: `${at}.data`,
        reason: 'required (use null for none)',
      })
    }
    const event = parse(NewEventSchema, item, at)
    const data = toPlainJson(event.data, `${at}.data`)
    const meta = event.meta === undefined ? {} : toPlainJson(event.meta, `${at}.meta`)
    if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
      throw BrookError.create('VALIDATION', `${at}.meta: must be an object`, {
        path: `${at}.meta`,
        reason: 'must be an object',
      })
    }
    const bytes = utf8Length(JSON.stringify([event.type, data, meta]))
    if (bytes > maxEventBytes) {
      const reason = `event is ${bytes} bytes, over the limit of ${maxEventBytes}`
      throw BrookError.create('VALIDATION', `${at}: ${reason}`, { path: at, reason })
    }
    const id = event.id ?? newId()
    if (seen.has(id)) {
      throw BrookError.create('VALIDATION', `${at}.id: the id ${id} appears twice in one commit`, {
        path: `${at}.id`,
        reason: 'duplicate id in one commit',
      })
    }
    seen.add(id)
    return { id, idGiven: event.id !== undefined, type: event.type, data, meta }
  })
}

/**
 * Validates an `append` call completely, before any storage is touched.
 *
 * @example
 * ```ts
 * const entries = prepareAppend('cart-1', events, {}, Limits.maxEventBytes, uuidv7)
 * ```
 */
export function prepareAppend(
  stream: unknown,
  events: unknown,
  options: unknown,
  maxEventBytes: number,
  newId: () => string,
): PreparedEntry[] {
  const s = parse(StreamSchema, stream, 'stream')
  const opts = parse(AppendOptionsSchema, options ?? {}, 'options')
  const prepared = prepareEvents(events, 'events', maxEventBytes, newId, new Set())
  return [{ stream: s, events: prepared, expected: opts.expectedVersion ?? 'any' }]
}

/**
 * Validates a `commit` call completely, before any storage is touched.
 *
 * @example
 * ```ts
 * const entries = prepareCommit([{ stream: 'a', events }], Limits.maxEventBytes, uuidv7)
 * ```
 */
export function prepareCommit(
  entries: readonly CommitEntry[],
  maxEventBytes: number,
  newId: () => string,
): PreparedEntry[] {
  const list = parse(
    v.pipe(v.array(v.unknown(), 'must be an array of entries'), v.minLength(1, 'must hold at least one entry')),
    entries,
    'entries',
  )
  const seen = new Set<string>()
  return list.map((item, i) => {
    const entry = parse(CommitEntrySchema, item, `entries[${i}]`)
    return {
      stream: parse(StreamSchema, entry.stream, `entries[${i}].stream`),
      events: prepareEvents(entry.events, `entries[${i}].events`, maxEventBytes, newId, seen),
      expected: entry.expectedVersion ?? 'any',
    }
  })
}

/** Read options with defaults filled in (`from` stays optional: it depends on direction). */
export interface ParsedRead {
  from: number | undefined
  limit: number
  types: ReadonlySet<string> | undefined
  direction: 'forward' | 'backward'
}

/**
 * Validates `read` options.
 *
 * @example
 * ```ts
 * const { from, limit } = parseReadOptions({ from: 10, limit: 5 })
 * ```
 */
export function parseReadOptions(options: ReadOptions | undefined): ParsedRead {
  const o = parse(ReadOptionsSchema, options ?? {}, 'options')
  return {
    from: o.from,
    limit: o.limit ?? Number.POSITIVE_INFINITY,
    types: o.types === undefined ? undefined : new Set(o.types),
    direction: o.direction ?? 'forward',
  }
}

/**
 * Validates a stream name and `readStream` options.
 *
 * @example
 * ```ts
 * const { stream, from } = parseReadStreamOptions('cart-1', { fromVersion: 3 })
 * ```
 */
export function parseReadStreamOptions(
  stream: unknown,
  options: ReadStreamOptions | undefined,
): ParsedRead & { stream: string } {
  const s = parse(StreamSchema, stream, 'stream')
  const o = parse(ReadStreamOptionsSchema, options ?? {}, 'options')
  return {
    stream: s,
    from: o.fromVersion,
    limit: o.limit ?? Number.POSITIVE_INFINITY,
    types: o.types === undefined ? undefined : new Set(o.types),
    direction: o.direction ?? 'forward',
  }
}

/**
 * Validates a stream name on its own (e.g. for `streamVersion`).
 *
 * @example
 * ```ts
 * parseStream('') // throws VALIDATION at 'stream'
 * ```
 */
export function parseStream(stream: unknown): string {
  return parse(StreamSchema, stream, 'stream')
}

export { ExpectedVersionSchema }
