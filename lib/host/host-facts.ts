import type { Host } from './types.ts';
import { detectWsl } from './wsl.ts';

/** Facts about the host that every report carries (JUnit properties, doctor JSON `host`). */
export type HostFacts = Record<string, string>;

const VERSION_TIMEOUT_MS = 3000;

/** Reads the first `key : value` line of /proc/cpuinfo with that key. */
function cpuinfoField(cpuinfo: string, key: string): string | undefined {
  const line = cpuinfo.split('\n').find((l) => l.startsWith(key));
  return line?.split(':').slice(1).join(':').trim();
}

/** Gathers kernel, CPU, virtualisation, WSL and firecracker facts; a fact that cannot be read says why. */
export async function gatherHostFacts(host: Host, options: { firecrackerBin: string }): Promise<HostFacts> {
  const readOr = (path: string, fallback: string) => host.fs.readText(path).then((t) => t.trim(), () => fallback);
  const cpuinfo = await readOr('/proc/cpuinfo', '');
  const flags = (cpuinfoField(cpuinfo, 'flags') ?? '').split(/\s+/);
  const nestedIntel = await readOr('/sys/module/kvm_intel/parameters/nested', '');
  const nestedAmd = await readOr('/sys/module/kvm_amd/parameters/nested', '');
  const wsl = await detectWsl(host);
  return {
    kernel_release: await readOr('/proc/sys/kernel/osrelease', 'unknown'),
    arch: process.arch,
    cpu_vendor: cpuinfoField(cpuinfo, 'vendor_id') ?? 'unknown',
    cpu_model: cpuinfoField(cpuinfo, 'model name') ?? 'unknown',
    cpu_virt_flags: flags.filter((f) => f === 'vmx' || f === 'svm').join(',') || 'none',
    running_under_hypervisor: flags.includes('hypervisor') ? 'yes' : 'no',
    kvm_nested_param: nestedIntel || nestedAmd || 'not loaded',
    kvm_device: (await host.fs.exists('/dev/kvm').catch(() => false)) ? 'present' : 'absent',
    wsl: wsl.wsl ? `yes (${wsl.evidence})` : 'no',
    firecracker_version: await firecrackerVersion(host, options.firecrackerBin),
  };
}

async function firecrackerVersion(host: Host, bin: string): Promise<string> {
  const path = await host.proc.which(bin);
  if (!path) return `absent (${bin} not found)`;
  try {
    const result = await host.proc.run(path, ['--version'], { timeoutMs: VERSION_TIMEOUT_MS });
    const first = result.stdout.split('\n')[0]?.trim();
    return result.exitCode === 0 && first ? first : `unusable (${path} --version exit ${result.exitCode})`;
  } catch (error) {
    return `unusable (${path}: ${(error as Error).message.split('\n')[0]})`;
  }
}
