import * as Comlink from 'comlink'
import { BrookError, isBrookError, isBrookErrorData, type BrookErrorData } from '@brook/core'

let installed = false

/**
 * Makes a `BrookError` thrown in a worker arrive on the page as a `BrookError` with the same
 * code and fields (Comlink's own handler keeps only name, message and stack). Both sides
 * import this module, so both install it.
 *
 * @example
 * ```ts
 * installBrookErrorTransfer()
 * ```
 */
export function installBrookErrorTransfer(): void {
  if (installed) return
  installed = true
  const original = Comlink.transferHandlers.get('throw') as Comlink.TransferHandler<{ value: unknown }, unknown>
  const handler: Comlink.TransferHandler<{ value: unknown }, unknown> = {
    canHandle: (value): value is { value: unknown } => original.canHandle(value),
    serialize(thrown) {
      if (isBrookError(thrown.value)) return [{ brookError: thrown.value.toData() }, []]
      return original.serialize(thrown)
    },
    deserialize(serialized) {
      const data = (serialized as { brookError?: BrookErrorData }).brookError
      if (isBrookErrorData(data)) throw BrookError.fromData(data)
      return original.deserialize(serialized)
    },
  }
  Comlink.transferHandlers.set('throw', handler)
}
