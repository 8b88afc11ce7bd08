import { describe, expect, it } from 'vitest';
import { apiSockOf, labOfSocket, planCleanup, type CleanupInventory, type LabDirFacts } from '../../../lib/provision/cleanup-plan.ts';
import { parseDuration, renderAge } from '../../../lib/provision/duration.ts';
import type { LinkState } from '../../../lib/netd/links.ts';

const STATE = '/var/lib/octolab/microvm';
const LAB = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const OTHER = 'ffffffff-0000-4000-8000-000000000001';
const NOW = 10_000_000_000;
const MIN = 60_000;

function link(name: string, alias: string | null, kind = 'tap'): LinkState {
  return { name, kind, alias, master: null, up: true, operState: 'down', owner: null, carrier: null, addresses: [] };
}

function labDir(labId: string, ageMs: number, extra: Partial<LabDirFacts> = {}): LabDirFacts {
  return { labId, path: `${STATE}/lab_${labId}`, kind: 'directory', lastActivityMs: NOW - ageMs, sockets: [`${STATE}/lab_${labId}/firecracker.sock`], pidFromFile: null, pidFileIgnored: null, ...extra };
}

function inventory(parts: Partial<CleanupInventory>): CleanupInventory {
  return { stateDirs: [STATE], labDirs: [], processes: [], links: [], nowMs: NOW, ...parts };
}

describe('finding a lab process by its --api-sock argument', () => {
  it.each([
    [['firecracker', '--api-sock', `${STATE}/lab_${LAB}/firecracker.sock`], `${STATE}/lab_${LAB}/firecracker.sock`],
    [['/opt/fc', `--api-sock=${STATE}/lab_${LAB}/firecracker.sock`, '--id', 'x'], `${STATE}/lab_${LAB}/firecracker.sock`],
    [['sleep', '1000'], null],
    [['firecracker', '--api-sock'], null],
  ])('reads %j', (argv, expected) => {
    expect(apiSockOf(argv)).toBe(expected);
  });

  it.each([
    [`${STATE}/lab_${LAB}/firecracker.sock`, LAB],
    [`${STATE}/lab_${LAB}/../lab_${OTHER}/firecracker.sock`, OTHER],
    [`${STATE}/lab_${LAB}/nested/firecracker.sock`, null],
    [`${STATE}/lab_${LAB.toUpperCase()}/firecracker.sock`, null],
    [`/tmp/lab_${LAB}/firecracker.sock`, null],
    [`lab_${LAB}/firecracker.sock`, null],
    [`${STATE}/verify-123/firecracker.sock`, null],
  ])('accepts only a socket directly inside a lab dir of the state dir: %s', (socket, expected) => {
    expect(labOfSocket(socket, [STATE])).toBe(expected);
  });
});

describe('planning a cleanup', () => {
  const labProcess = { pid: 4242, argv: ['firecracker', '--api-sock', `${STATE}/lab_${LAB}/firecracker.sock`, '--id', `lab-${LAB}`], startedAtMs: NOW - 30 * MIN };

  it('chooses the lab process, its links and its directory, in that order', () => {
    const plan = planCleanup(
      inventory({
        processes: [labProcess],
        labDirs: [labDir(LAB, 20 * MIN)],
        links: [{ netns: null, link: link('obr0a1b2c3d4e', `octolab:lab=${LAB}`, 'bridge') }, { netns: 'ns1', link: link('otp0a1b2c3d4e', `octolab:lab=${LAB}`) }],
      }),
    );
    expect(plan.remove.map((item) => item.kind)).toEqual(['process', 'link', 'link', 'lab-dir']);
    expect(plan.remove[0]).toMatchObject({ pid: 4242, labId: LAB });
    expect(plan.remove[2]).toMatchObject({ netns: 'ns1', name: 'otp0a1b2c3d4e' });
    expect(plan.kept).toEqual([]);
  });

  it('ignores processes that merely look like firecracker, and links without an owner record', () => {
    const plan = planCleanup(
      inventory({
        processes: [
          { pid: 10, argv: ['firecracker', '--api-sock', '/tmp/elsewhere.sock'], startedAtMs: 0 },
          { pid: 11, argv: ['firecracker-decoy', `lab_${LAB}`], startedAtMs: 0 },
        ],
        links: [
          { netns: null, link: link('otp0a1b2c3d4e', null) },
          { netns: null, link: link('obr0a1b2c3d4e', 'OCTOLAB:LAB=' + LAB, 'bridge') },
          { netns: null, link: link('otpffffffff00', `octolab:lab=${LAB}`) },
        ],
      }),
    );
    expect(plan.remove).toEqual([]);
    expect(plan.kept.map((k) => k.why)).toEqual([
      'it has no owner alias (not created by netd for a lab)',
      `its alias "OCTOLAB:LAB=${LAB}" is not a lab owner record`,
      `its alias names lab ${LAB}, whose links are obr0a1b2c3d4e/otp0a1b2c3d4e`,
    ]);
  });

  it('keeps everything of a lab active within --older-than, and removes an older lab', () => {
    const plan = planCleanup(
      inventory({
        processes: [{ ...labProcess, startedAtMs: NOW - 2 * MIN }],
        labDirs: [labDir(LAB, 1 * MIN), labDir(OTHER, 90 * MIN)],
        links: [{ netns: null, link: link('otp0a1b2c3d4e', `octolab:lab=${LAB}`) }, { netns: null, link: link('otpffffffff00', `octolab:lab=${OTHER}`) }],
      }),
      10 * MIN,
    );
    expect(plan.remove.map((i) => (i.kind === 'link' ? i.name : i.kind === 'lab-dir' ? i.path : i.pid))).toEqual(['otpffffffff00', `${STATE}/lab_${OTHER}`]);
    expect(plan.kept.map((k) => k.what)).toEqual([`process 4242 (lab ${LAB})`, `${STATE}/lab_${LAB}`, 'link otp0a1b2c3d4e']);
    expect(plan.kept[0]!.why).toBe('started 2m ago, within --older-than 10m');
  });

  it('keeps a process whose start time is unknown when an age limit is given', () => {
    const plan = planCleanup(inventory({ processes: [{ ...labProcess, startedAtMs: null }] }), MIN);
    expect(plan.remove).toEqual([]);
    expect(plan.kept[0]!.why).toBe('its start time is unknown');
  });

  it('does not follow a lab entry that is a symlink', () => {
    const plan = planCleanup(inventory({ labDirs: [labDir(LAB, MIN, { kind: 'symlink' })] }));
    expect(plan.remove).toEqual([]);
    expect(plan.kept[0]!.why).toBe('is a symlink, not a directory: not followed');
  });

  it('never signals a pid from a pidfile that now runs something else', () => {
    const plan = planCleanup(inventory({ labDirs: [labDir(LAB, 60 * MIN, { pidFromFile: 777 })], processes: [{ pid: 777, argv: ['bash'], startedAtMs: 0 }] }));
    expect(plan.remove.map((i) => i.kind)).toEqual(['lab-dir']);
    expect(plan.kept[0]!.why).toMatch(/a reused pid\): not signalled/);
  });

  it('matches a process that names the state dir by its real path', () => {
    const plan = planCleanup(inventory({ stateDirs: ['/srv/link-to-state', STATE], processes: [labProcess] }));
    expect(plan.remove).toHaveLength(1);
  });
});

describe('--older-than durations', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['1d', 86_400_000],
    ['1h30m', 5_400_000],
    [' 5M ', 300_000],
  ])('reads %j', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', 'm', '10x', '-5m', '1.5h', '10m junk'])('refuses %j with the accepted forms', (text) => {
    expect(() => parseDuration(text)).toThrow(/is not a duration/);
  });

  it('renders ages in the largest whole unit', () => {
    expect([renderAge(5_000), renderAge(12 * MIN), renderAge(3 * 60 * MIN), renderAge(2 * 1440 * MIN)]).toEqual(['5s', '12m', '3h', '2d']);
  });
});
