import { describe, expect, it } from 'vitest'
import { consumerLeaseName } from './lease-name.ts'

describe('consumerLeaseName', () => {
  it('gives different consumers of different stores different leases, whatever their names hold', () => {
    expect(consumerLeaseName('shop', 'projection:carts@1')).toBe('shop:projection:carts@1')
    expect(consumerLeaseName('a:b', 'c')).not.toBe(consumerLeaseName('a', 'b:c'))
    expect(consumerLeaseName('a%3Ab', 'c')).not.toBe(consumerLeaseName('a:b', 'c'))
  })
})
