/** bench/lib/machine.ts: the CPU model from an ARM64 /proc/cpuinfo, and which ISA a cpuinfo describes. */
import { describe, expect, it } from 'vitest';
import { armModel, cpuinfoArch } from '../../bench/lib/machine.ts';

// One core's block of /proc/cpuinfo on an AWS Graviton2 (Neoverse-N1) and on an x64 EPYC.
const GRAVITON2 = `processor\t: 0
BogoMIPS\t: 243.75
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp ssbs
CPU implementer\t: 0x41
CPU architecture: 8
CPU variant\t: 0x3
CPU part\t: 0xd0c
CPU revision\t: 1
`;
const EPYC = `processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model name\t: AMD EPYC 7R13 Processor
`;

describe('bench machine description', () => {
  it('names an ARM64 core from its implementer and part ids', () => {
    expect(armModel(GRAVITON2, () => undefined)).toBe('ARM Neoverse-N1');
    expect(armModel(GRAVITON2.replace('0xd0c', '0xd4f'), () => undefined)).toBe('ARM Neoverse-V2');
  });

  it('falls back to lscpu, then to the raw ids, for a core it does not know', () => {
    const unknown = GRAVITON2.replace('0x41', '0x99');
    expect(armModel(unknown, () => 'Some Core')).toBe('Some Core');
    expect(armModel(unknown, () => undefined)).toBe('ARM implementer 0x99 part 0xd0c');
    expect(armModel(EPYC, () => 'x')).toBeUndefined();
  });

  it('tells which ISA a cpuinfo text describes (an emulated arm64 process reads the x86 host\'s)', () => {
    expect(cpuinfoArch(GRAVITON2)).toBe('arm64');
    expect(cpuinfoArch(EPYC)).toBe('x64');
    expect(cpuinfoArch('')).toBeUndefined();
  });
});
