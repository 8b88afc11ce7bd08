import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { makeDoctorConfig } from '../../../fixtures/doctor-hosts.ts';
import { firecrackerCheck } from '../../../lib/doctor/checks/firecracker.ts';
import type { DoctorJson } from '../../../lib/doctor/render-json.ts';
import { runDoctor } from '../../../lib/doctor/run-doctor.ts';
import { createRealHost } from '../../../lib/host/real-host.ts';
import { requireRoot } from '../../support/require.ts';
import { kvmMissing } from '../../support/require-kvm.ts';
import { liveProcess } from '../../support/processes.ts';
import { Throwaway } from './throwaway.ts';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/octolab-verify.cjs');
const made = new Throwaway();
afterEach(() => made.cleanup());

async function check(firecrackerBin: string) {
  const report = await runDoctor({ host: createRealHost(), config: makeDoctorConfig({ firecrackerBin }), checks: [firecrackerCheck], gatherFacts: async () => ({}) });
  return report.checks[0]!;
}

/** Writes an executable stand-in for firecracker that runs `body` under /bin/sh. */
async function script(body: string): Promise<string> {
  const file = path.join(await made.directory(), 'firecracker');
  await fs.writeFile(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

describe('the firecracker check on this host', () => {
  it('reports firecracker on PATH: its version when installed, otherwise fatal with the install hint', async () => {
    const installed = await createRealHost().proc.which('firecracker');
    const result = await check('firecracker');
    if (installed) {
      // A KVM runner with Firecracker: the version must be the pinned one.
      expect(result).toMatchObject({ ok: true, details: `firecracker: Firecracker v1.7.0 (${installed})` });
      return;
    }
    expect(result).toMatchObject({ ok: false, severity: 'fatal', details: 'firecracker binary not found: firecracker is not on PATH' });
    expect(result.hint).toMatch(/Install Firecracker v1\.7\.0: .*releases\/tag\/v1\.7\.0/);
  });

  it('runs a real binary\'s --version and keeps only the first line', async () => {
    const file = await script('printf "Firecracker v1.7.0\\n\\n2024-01-01T00:00:00 [anonymous-instance:main] Firecracker exiting successfully. exit_code=0\\n"');
    expect(await check(file)).toMatchObject({ ok: true, severity: 'info', details: `firecracker: Firecracker v1.7.0 (${file})` });
  });

  it('fails on the wrong version, keeping it in the details', async () => {
    const file = await script('echo "Firecracker v1.6.0"');
    expect(await check(file)).toMatchObject({ ok: false, severity: 'fatal', details: `firecracker: Firecracker v1.6.0 at ${file}, expected 1.7.0` });
  });

  it('fails with the exit code and stderr when --version fails', async () => {
    const file = await script('echo "cannot open shared object" >&2; exit 127');
    expect((await check(file)).details).toBe('firecracker --version failed (exit 127: cannot open shared object)');
  });

  it('gives up on a --version that hangs after 3 s and leaves no process behind', { tags: ['slow'] }, async () => {
    // Regression: this looked for any `sleep 30` on the machine, and failed on somebody else's. Now
    // the stand-in records its own pid (exec keeps it) and only that process is judged.
    const pidFile = path.join(await made.directory(), 'pid');
    const file = await script(`echo $$ > ${pidFile}; exec sleep 30`);
    expect((await check(file)).details).toBe('firecracker --version failed: timed out after 3 s');
    const pid = Number((await fs.readFile(pidFile, 'utf8')).trim());
    expect(pid).toBeGreaterThan(0);
    // Gone, or (should the pid have been reused at once) somebody else's process, never our sleep.
    expect(await liveProcess(pid)).not.toBe('sleep 30');
  });

  it('fails when the file is not executable', { tags: ['root'] }, async (ctx) => {
    requireRoot(ctx);
    const file = await script('echo "Firecracker v1.7.0"');
    await fs.chmod(file, 0o644);
    expect((await check(file)).details).toBe(`firecracker binary not executable: root (uid 0) cannot execute ${file}: mode 0644 root:root`);
  });
});

describe('octolab-verify doctor --json on this host (the issue\'s acceptance run)', () => {
  // Regression: this asserted "kvm ok" and failed on every host without /dev/kvm. The kvm verdict
  // must now agree with this host's own KVM (OCTOLAB_KVM_DEVICE, else /dev/kvm), whichever it is.
  it('reports firecracker fatal with its hint and exits 2 when firecracker is absent, and kvm as this host\'s KVM answers', { tags: ['root', 'kvm', 'slow'] }, async (ctx) => {
    requireRoot(ctx);
    const installed = await createRealHost().proc.which('firecracker');
    // Not a missing capability: a KVM runner with Firecracker is simply not the host this run is about.
    if (installed) ctx.skip(`firecracker is installed here (${installed}); this run is about a host without it`);
    const kvmProblem = await kvmMissing();
    const cwd = await made.directory();
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
    delete env.SUDO_UID;
    const result = await execa(process.execPath, [CLI, 'doctor', '--json'], { cwd, env, reject: false, timeout: 60_000 });
    const report = JSON.parse(result.stdout) as DoctorJson;
    const byName = new Map(report.checks.map((c) => [c.name, c]));
    if (kvmProblem === null) expect(byName.get('kvm')).toMatchObject({ ok: true, severity: 'info' });
    else expect(byName.get('kvm'), `this host: ${kvmProblem}`).toMatchObject({ ok: false, severity: 'fatal' });
    expect(byName.get('firecracker')).toMatchObject({ ok: false, severity: 'fatal', details: 'firecracker binary not found: firecracker is not on PATH' });
    expect(byName.get('firecracker')!.hint).toMatch(/Install Firecracker v1\.7\.0/);
    expect(report.host.firecracker_version).toMatch(/^absent/);
    expect(result.exitCode).toBe(2);
    expect(report.exit_code).toBe(2);
  });
});
