'use strict';
// Preload (node --require, through NODE_OPTIONS) for arm64 Node run by qemu-user on another
// architecture WITHOUT binfmt_misc (it cannot be registered inside an unprivileged container):
// the kernel cannot exec an aarch64 ELF, so child processes whose file is one — process.execPath
// (vitest's forks pool, tests that execFile(process.execPath), npm's lifecycle scripts) and
// esbuild's Go binary (tsx, esbuild's install check) — are started as `qemu-aarch64-static FILE ...`.
// QEMU_LD_PREFIX and NODE_OPTIONS are inherited, so grandchildren get the same treatment.
// Not needed (and inert) on real ARM64 hardware or under binfmt_misc: it acts only when
// SMP_ARM64_QEMU names the qemu binary, which scripts/arm64/runtime.sh sets.
const qemu = process.env.SMP_ARM64_QEMU;
if (process.arch === 'arm64' && qemu && !globalThis.__smpSpawnViaQemu) {
  globalThis.__smpSpawnViaQemu = true;
  const cp = require('node:child_process');
  const fs = require('node:fs');
  const known = new Map([[process.execPath, true]]);

  /** Whether `file` is a path (not a PATH lookup) to a 64-bit little-endian ELF for EM_AARCH64 (183). */
  const isAarch64Elf = (file) => {
    if (typeof file !== 'string' || !file.includes('/')) return false;
    let r = known.get(file);
    if (r === undefined) {
      r = false;
      try {
        const fd = fs.openSync(file, 'r');
        try {
          const b = Buffer.alloc(20);
          r = fs.readSync(fd, b, 0, 20, 0) === 20 && b.readUInt32BE(0) === 0x7f454c46 && b[4] === 2 && b[5] === 1 && b.readUInt16LE(18) === 183;
        } finally {
          fs.closeSync(fd);
        }
      } catch {
        // not readable: let spawn report the error itself
      }
      known.set(file, r);
    }
    return r;
  };

  // spawn, execFile, exec and fork all end in ChildProcess.prototype.spawn.
  const spawn = cp.ChildProcess.prototype.spawn;
  cp.ChildProcess.prototype.spawn = function (options) {
    if (options && isAarch64Elf(options.file)) {
      options.args = [qemu, options.file, ...options.args.slice(1)]; // args[0] is argv0
      options.file = qemu;
    }
    return spawn.call(this, options);
  };
  // The synchronous variants do not go through ChildProcess.
  for (const name of ['spawnSync', 'execFileSync']) {
    const orig = cp[name];
    cp[name] = function (file, args, ...rest) {
      if (!isAarch64Elf(file)) return orig.call(this, file, args, ...rest);
      if (Array.isArray(args)) return orig.call(this, qemu, [file, ...args], ...rest);
      return orig.call(this, qemu, [file], ...(args === undefined ? rest : [args, ...rest]));
    };
  }
  require('node:module').syncBuiltinESMExports();
}
