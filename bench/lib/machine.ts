/**
 * What the bench runs on: the CPU model on x64 and ARM64 alike, and whether the CPU is emulated.
 *
 * os.cpus()[].model comes from /proc/cpuinfo's "model name", which only x86 kernels write; ARM64
 * kernels give "CPU implementer" and "CPU part" (numbers), so there the model is looked up in a
 * short table of the cores found in servers, boards and laptops (or lscpu's "Model name", which
 * knows them all), falling back to the raw ids.
 *
 * Emulation (qemu-user without a guest /proc/cpuinfo): the process's architecture and the CPU in
 * /proc/cpuinfo disagree, e.g. an arm64 node reading an AMD EPYC's x86 fields. Emulated figures
 * are useful only as ratios between rows of the same run.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Implementer id → [vendor, part id → core] (Linux arch/arm64 cputype.h, lscpu's tables). */
const ARM_PARTS: Record<number, [string, Record<number, string>]> = {
  0x41: ['ARM', {
    0xd03: 'Cortex-A53', 0xd04: 'Cortex-A35', 0xd05: 'Cortex-A55', 0xd07: 'Cortex-A57', 0xd08: 'Cortex-A72',
    0xd09: 'Cortex-A73', 0xd0a: 'Cortex-A75', 0xd0b: 'Cortex-A76', 0xd0c: 'Neoverse-N1', 0xd0d: 'Cortex-A77',
    0xd40: 'Neoverse-V1', 0xd41: 'Cortex-A78', 0xd44: 'Cortex-X1', 0xd46: 'Cortex-A510', 0xd47: 'Cortex-A710',
    0xd48: 'Cortex-X2', 0xd49: 'Neoverse-N2', 0xd4b: 'Cortex-A78C', 0xd4d: 'Cortex-A715', 0xd4e: 'Cortex-X3',
    0xd4f: 'Neoverse-V2', 0xd80: 'Cortex-A520', 0xd81: 'Cortex-A720', 0xd82: 'Cortex-X4', 0xd84: 'Neoverse-V3',
    0xd8e: 'Neoverse-N3',
  }],
  0x48: ['HiSilicon', { 0xd01: 'Kunpeng-920' }],
  0x4e: ['NVIDIA', { 0x004: 'Carmel' }],
  0x51: ['Qualcomm', { 0x001: 'Oryon' }],
  0x61: ['Apple', { 0x022: 'M1 Icestorm', 0x023: 'M1 Firestorm', 0x032: 'M2 Blizzard', 0x033: 'M2 Avalanche' }],
  0xc0: ['Ampere', { 0xac3: 'Ampere-1', 0xac4: 'Ampere-1a' }],
};

function cpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

function field(info: string, name: string): string | undefined {
  return new RegExp(`^${name}\\s*:\\s*(.+)$`, 'mi').exec(info)?.[1]?.trim();
}

/** The ISA a /proc/cpuinfo text describes: x86 kernels write vendor_id, ARM64 kernels CPU implementer. */
export function cpuinfoArch(info: string): 'x64' | 'arm64' | undefined {
  if (field(info, 'vendor_id') !== undefined) return 'x64';
  if (field(info, 'CPU implementer') !== undefined) return 'arm64';
  return undefined;
}

/** The core an ARM64 /proc/cpuinfo text names ("ARM Neoverse-N1"), from its implementer and part ids. */
export function armModel(info: string, lscpu: () => string | undefined = lscpuModel): string | undefined {
  const implementer = field(info, 'CPU implementer');
  const part = field(info, 'CPU part');
  if (implementer === undefined || part === undefined) return undefined;
  const [vendor, parts] = ARM_PARTS[Number(implementer)] ?? [];
  const core = parts?.[Number(part)];
  if (vendor && core) return `${vendor} ${core}`;
  return lscpu() ?? `ARM implementer ${implementer} part ${part}`;
}

function lscpuModel(): string | undefined {
  try {
    const out = execFileSync('lscpu', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    const model = field(out, 'Model name');
    return model && model !== '-' ? model : undefined;
  } catch {
    return undefined;
  }
}

/** The CPU's model name, e.g. "AMD EPYC" or "ARM Neoverse-N1"; "unknown" if nothing says. */
export function cpuModel(): string {
  const fromNode = os.cpus()[0]?.model?.trim();
  if (fromNode && fromNode !== 'unknown') return fromNode;
  const info = cpuinfo();
  return field(info, 'model name') ?? armModel(info) ?? field(info, 'Hardware') ?? lscpuModel() ?? 'unknown';
}

/**
 * How the CPU is emulated, or undefined on a native run: "qemu-user on x64" when the run was
 * started by scripts/arm64 (SMP_ARM64_QEMU), "emulated on x64" when only /proc/cpuinfo disagrees
 * with process.arch.
 */
export function emulation(): string | undefined {
  const host = cpuinfoArch(cpuinfo());
  if (process.env.SMP_ARM64_QEMU) return `qemu-user on ${host ?? 'another architecture'}`;
  if (host !== undefined && host !== process.arch) return `emulated on ${host}`;
  return undefined;
}
