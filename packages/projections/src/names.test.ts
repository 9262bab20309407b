import { describe, expect, it } from 'vitest'
import { consumerId, snapshotsId, versionOf } from './names.ts'

describe('versionOf', () => {
  it("reads the version back from the projection's own consumer ids, and only from those", () => {
    expect(versionOf('carts', consumerId('carts', 7))).toBe(7)
    expect(versionOf('carts', snapshotsId('carts', 12))).toBe(12)
    // Another projection whose name extends this one, or a malformed id: not ours.
    expect(versionOf('carts', consumerId('carts@2', 1))).toBeUndefined()
    expect(versionOf('carts', consumerId('cartsX', 1))).toBeUndefined()
    expect(versionOf('carts', 'projection:carts@0')).toBeUndefined()
    expect(versionOf('carts', 'projection:carts@1#other')).toBeUndefined()
    expect(versionOf('carts', 'totals')).toBeUndefined()
  })
})
