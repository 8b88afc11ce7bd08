import { describe, expect, it } from 'vitest';
import { hints, newLoginHint, type HintContext } from '../../../lib/doctor/hints.ts';

const linux: HintContext = { wsl: false, distro: '<distro>', user: 'alice' };
const wsl: HintContext = { wsl: true, distro: 'Ubuntu-24.04', user: 'alice' };

describe('hints', () => {
  it.each([
    ['kvmMissing', (h: HintContext) => hints.kvmMissing(h)],
    ['kvmNoAccess', (h: HintContext) => hints.kvmNoAccess(h, '/dev/kvm', 'kvm')],
    ['kvmApi', (h: HintContext) => hints.kvmApi(h)],
    ['kvmCreateVm', (h: HintContext) => hints.kvmCreateVm(h, 'ENOMEM')],
    ['firecrackerNotFound', (h: HintContext) => hints.firecrackerNotFound(h, '1.7.0')],
    ['imageMissing', (h: HintContext) => hints.imageMissing(h)],
    ['stateDirMissing', (h: HintContext) => hints.stateDirMissing(h, '/var/lib/octolab/microvm')],
    ['vsockMissing', (h: HintContext) => hints.vsockMissing(h)],
    ['netdNotRunning', (h: HintContext) => hints.netdNotRunning(h)],
    ['netdDenied', (h: HintContext) => hints.netdDenied(h, 'octolab', true, false)],
    ['netdUnresponsive', (h: HintContext) => hints.netdUnresponsive(h)],
  ])('%s differs between WSL and plain Linux', (_name, render) => {
    expect(render(wsl)).not.toBe(render(linux));
    expect(render(wsl).length).toBeGreaterThan(20);
  });

  it('says a new login is needed for a group to count: newgrp, or wsl --terminate <distro> on WSL', () => {
    expect(newLoginHint(linux, 'octolab')).toMatch(/log out and back in \(or `newgrp octolab` in this shell\)/);
    expect(newLoginHint(wsl, 'octolab')).toMatch(/`wsl --terminate Ubuntu-24\.04`/);
  });

  it('keeps upstream\'s exact jailer texts', () => {
    expect(hints.jailerWsl()).toBe('Jailer not required in WSL dev environment. Production requires jailer.');
    expect(hints.jailerDevFlag()).toBe('Running without jailer is UNSAFE. Only for development.');
  });

  it('names chmod 666 on WSL only as a workaround that restarts undo', () => {
    expect(hints.kvmNoAccess(wsl, '/dev/kvm', 'kvm')).toMatch(/`sudo usermod -aG kvm alice`, then `wsl --shutdown`.*Dev-only workaround: `sudo chmod 666 \/dev\/kvm` \(every WSL restart undoes it\)/);
    expect(hints.kvmNoAccess(linux, '/dev/kvm', 'kvm')).not.toContain('chmod 666');
  });

  it('tells a user missing a group that does not exist to create it first', () => {
    expect(hints.netdDenied(linux, 'octolab', false, false)).toContain('`sudo groupadd octolab`');
  });
});
