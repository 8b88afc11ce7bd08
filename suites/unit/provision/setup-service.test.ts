import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runRollbackCommand } from '../../../lib/cli/commands/rollback.ts';
import { createInstallFs } from '../../../lib/host/install-fs.ts';
import { installLayout } from '../../../lib/provision/layout.ts';
import { readManifest } from '../../../lib/provision/manifest.ts';
import { renderNetdUnit } from '../../../lib/provision/steps-service.ts';
import { LAUNCHER_PATH, PACKAGE_ROOT } from '../../../lib/package-paths.ts';
import { createSetupWorld, type SetupWorld } from './setup-harness.ts';

// What setup adds so that the doctor's hints run as printed: octolab-verify on PATH, and the
// microvm-netd unit where systemd runs (systemctl answered by the FakeHost, strictly).

const SYSTEMCTL = '/usr/bin/systemctl';
let world: SetupWorld;
beforeEach(async () => {
  world = await createSetupWorld();
});
afterEach(async () => {
  await world.cleanup();
});

const output = () => world.stdout.join('') + world.stderr.join('');
const unitFile = () => path.join(world.prefix, 'etc/systemd/system/microvm-netd.service');

/** Makes the prefix a systemd host and scripts every systemctl call setup and rollback make. */
function asSystemdHost(): void {
  world.host.withFile(path.join(world.prefix, 'run/systemd/system'), { kind: 'directory' }).withExecutable(SYSTEMCTL);
  for (const args of [['daemon-reload'], ['enable', 'microvm-netd.service'], ['start', 'microvm-netd.service'], ['restart', 'microvm-netd.service'], ['disable', '--now', 'microvm-netd.service']]) {
    world.host.withCommand([SYSTEMCTL, ...args], { exitCode: 0 });
  }
}

describe('setup: octolab-verify on PATH', () => {
  it('links <prefix>/usr/local/bin/octolab-verify to this checkout\'s launcher, records it, and keeps it on a rerun', async () => {
    expect(await world.setup()).toBe(0);
    const link = path.join(installLayout(world.prefix).binDir, 'octolab-verify');
    expect(await fs.readlink(link)).toBe(LAUNCHER_PATH);
    expect((await readManifest(createInstallFs(), installLayout(world.prefix).manifest)).launcher).toEqual({ link, target: LAUNCHER_PATH });
    world.stdout.length = 0;
    expect(await world.setup()).toBe(0);
    expect(output()).toMatch(/\[ok  \] launcher +.*already points to/);
  });

  it('re-points a link to the launcher\'s former name (bin/octolab-verify.mjs, made by an earlier setup) at bin/octolab-verify.cjs', async () => {
    const link = path.join(installLayout(world.prefix).binDir, 'octolab-verify');
    await fs.mkdir(path.dirname(link), { recursive: true });
    await fs.symlink(path.join(PACKAGE_ROOT, 'bin', 'octolab-verify.mjs'), link);
    expect(await world.setup()).toBe(0);
    expect(await fs.readlink(link)).toBe(LAUNCHER_PATH);
    expect(output()).toMatch(/\[done\] launcher +linked .*octolab-verify -> .*bin\/octolab-verify\.cjs/);
  });

  it('leaves a link to something else alone, and says so', async () => {
    const link = path.join(installLayout(world.prefix).binDir, 'octolab-verify');
    await fs.mkdir(path.dirname(link), { recursive: true });
    await fs.symlink('/opt/other/bin/octolab-verify.js', link);
    expect(await world.setup()).toBe(0);
    expect(await fs.readlink(link)).toBe('/opt/other/bin/octolab-verify.js');
    expect(output()).toMatch(/\[skip\] launcher +.*points to \/opt\/other\/bin\/octolab-verify\.js, which setup did not install: left alone/);
  });

  it('leaves a file of someone else\'s at that place alone, and says so', async () => {
    const link = path.join(installLayout(world.prefix).binDir, 'octolab-verify');
    await fs.mkdir(path.dirname(link), { recursive: true });
    await fs.writeFile(link, '#!/bin/sh\n');
    expect(await world.setup()).toBe(0);
    expect(output()).toMatch(/\[skip\] launcher +.*exists and is not a symlink: left alone/);
    expect(await fs.readFile(link, 'utf8')).toBe('#!/bin/sh\n');
  });
});

describe('setup: the microvm-netd service', () => {
  it('where systemd runs: installs the unit with this host\'s socket, group and launcher, then daemon-reload, enable, restart', async () => {
    asSystemdHost();
    expect(await world.setup()).toBe(0);
    const unit = await fs.readFile(unitFile(), 'utf8');
    expect(unit).toContain(`ExecStart=${process.execPath} ${path.join(world.prefix, 'usr/local/bin/octolab-verify')} netd serve --socket /run/octolab/microvm-netd.sock --group octolab\n`);
    expect(world.host.calls).toEqual([`${SYSTEMCTL} daemon-reload`, `${SYSTEMCTL} enable microvm-netd.service`, `${SYSTEMCTL} restart microvm-netd.service`]);
    world.host.calls.length = 0;
    expect(await world.setup()).toBe(0);
    expect(world.host.calls.at(-1)).toBe(`${SYSTEMCTL} start microvm-netd.service`); // unchanged unit: start, not restart
  });

  it('reports a failing systemctl as the step\'s failure, with what it printed', async () => {
    asSystemdHost();
    world.host.withCommand([SYSTEMCTL, 'restart', 'microvm-netd.service'], { exitCode: 1, stderr: 'Job for microvm-netd.service failed.' });
    expect(await world.setup()).toBe(1);
    expect(output()).toMatch(/\[FAIL\] netd +`\/usr\/bin\/systemctl restart microvm-netd\.service` failed \(exit 1\)/);
    expect(output()).toContain('Job for microvm-netd.service failed.');
  });

  it('where systemd does not run: installs no unit and says how to start netd by hand', async () => {
    expect(await world.setup()).toBe(0);
    await expect(fs.lstat(unitFile())).rejects.toMatchObject({ code: 'ENOENT' });
    expect(output()).toMatch(/\[skip\] netd +microvm-netd is not installed as a service: systemd does not run here, so start it by hand: `[^`]*netd serve`/);
  });

  it('rollback stops, disables and removes the unit and the link setup made; an edited unit stays', async () => {
    asSystemdHost();
    expect(await world.setup()).toBe(0);
    world.host.calls.length = 0;
    const io = { argv: [], env: {}, cwd: world.root, stdout: { write: (t: string) => world.stdout.push(t) } as never, stderr: { write: (t: string) => world.stderr.push(t) } as never };
    expect(await runRollbackCommand(io, ['--prefix', world.prefix, '--dotenv', world.envFile], { host: world.host, euid: 0 })).toBe(0);
    expect(world.host.calls).toEqual([`${SYSTEMCTL} disable --now microvm-netd.service`, `${SYSTEMCTL} daemon-reload`]);
    await expect(fs.lstat(unitFile())).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fs.lstat(path.join(installLayout(world.prefix).binDir, 'octolab-verify'))).rejects.toMatchObject({ code: 'ENOENT' });

    expect(await world.setup()).toBe(0);
    await fs.appendFile(unitFile(), '# local change\n');
    world.host.calls.length = 0;
    expect(await runRollbackCommand(io, ['--prefix', world.prefix, '--dotenv', world.envFile], { host: world.host, euid: 0 })).toBe(0);
    expect(world.host.calls).toEqual([]);
    expect(output()).toMatch(/\[skip\] netd +.*was changed since setup installed it: left alone/);
  });
});

describe('the unit setup installs is the shipped one, filled in', () => {
  it('rewrites ExecStart, the run directory and the group of lib/netd/deploy/microvm-netd.service', async () => {
    const template = await fs.readFile(path.join(PACKAGE_ROOT, 'lib/netd/deploy/microvm-netd.service'), 'utf8');
    const unit = renderNetdUnit(template, { exec: ['/opt/node 20/bin/node', '/usr/local/bin/octolab-verify'], socket: '/run/labs/netd.sock', group: 'labs' });
    expect(unit).toContain('ExecStart="/opt/node 20/bin/node" /usr/local/bin/octolab-verify netd serve --socket /run/labs/netd.sock --group labs\n');
    expect(unit).toContain('ExecStartPre=+/usr/bin/install -d -m 0750 -o root -g labs /run/labs\n');
    expect(unit).toContain('ReadWritePaths=-/run/labs\n');
    const settings = unit.split('\n').filter((l) => !l.startsWith('#')).join('\n');
    expect(settings).not.toMatch(/octolab\b(?!-verify)/); // no default group or run dir is left in a setting
    expect(unit.split('\n')[0]).toMatch(/^# Installed by octolab-verify setup /);
    // Everything else (sandboxing, capabilities) is the shipped unit's, unchanged.
    for (const line of template.split('\n').filter((l) => /^(CapabilityBoundingSet|NoNewPrivileges|ProtectSystem|KillSignal)=/.test(l))) expect(unit).toContain(`${line}\n`);
  });

  it('refuses a template that lost a line it rewrites', () => {
    expect(() => renderNetdUnit('[Service]\nExecStart=/x\n', { exec: ['node', 'x'], socket: '/run/x.sock', group: 'g' })).toThrow(/no line matching/);
  });
});
