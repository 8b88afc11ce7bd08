import type { Host } from './types.ts';

/** Whether this host is WSL, and which evidence said so. */
export interface WslDetection {
  wsl: boolean;
  evidence: string | null;
}

/** Detects WSL from binfmt_misc's WSLInterop, `microsoft` in /proc/version, or WSL_INTEROP / WSL_DISTRO_NAME. */
export async function detectWsl(host: Pick<Host, 'env' | 'fs'>): Promise<WslDetection> {
  if (await host.fs.exists('/proc/sys/fs/binfmt_misc/WSLInterop')) {
    return { wsl: true, evidence: '/proc/sys/fs/binfmt_misc/WSLInterop exists' };
  }
  const version = await host.fs.readText('/proc/version').catch(() => '');
  if (/microsoft/i.test(version)) return { wsl: true, evidence: '/proc/version mentions Microsoft' };
  if (host.env.WSL_INTEROP) return { wsl: true, evidence: 'WSL_INTEROP is set' };
  if (host.env.WSL_DISTRO_NAME) return { wsl: true, evidence: 'WSL_DISTRO_NAME is set' };
  return { wsl: false, evidence: null };
}
