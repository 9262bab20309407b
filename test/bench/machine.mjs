// The machine the figures come from: they mean little without it.
import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'

// statfs magic numbers of the filesystems a CI runner or laptop is likely to use.
const FILESYSTEMS = {
  0xef53: 'ext4',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
  0x9123683e: 'btrfs',
  0x58465342: 'xfs',
}

export function describeMachine() {
  const cpus = os.cpus()
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cpuCount: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    ...probeDisk(os.tmpdir()),
  }
}

/**
 * Strict durability costs one fsync per transaction, so its price here explains the
 * strict/relaxed gap. Measured in the temp dir, where Playwright puts the browser profile.
 */
function probeDisk(dir) {
  const probeDir = mkdtempSync(join(dir, 'brook-bench-fsync-'))
  try {
    const fd = openSync(join(probeDir, 'probe'), 'w')
    const times = []
    const block = Buffer.alloc(400, 1)
    for (let i = 0; i < 50; i++) {
      const start = performance.now()
      writeSync(fd, block)
      fsyncSync(fd)
      times.push(performance.now() - start)
    }
    closeSync(fd)
    times.sort((a, b) => a - b)
    const type = statfsSync(dir).type
    return {
      profileDir: dir,
      profileFilesystem: FILESYSTEMS[type] ?? `0x${type.toString(16)}`,
      fsyncMs: Number(times[times.length >> 1].toFixed(3)),
    }
  } finally {
    rmSync(probeDir, { recursive: true, force: true })
  }
}
