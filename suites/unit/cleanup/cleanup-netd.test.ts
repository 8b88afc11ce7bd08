import { promises as fs } from 'node:fs';
import path from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeHost } from '../../../fixtures/fake-host.ts';
import { FakeLinks } from '../../../fixtures/fake-links.ts';
import { InProcessNetd } from '../../../fixtures/fake-netd.ts';
import { InProcessPreviousNetd } from '../../../fixtures/fake-previous-netd.ts';
import { InProcessSharedNetd } from '../../../fixtures/fake-shared-netd/in-process.ts';
import { sharedToolsAsLinks } from '../../../fixtures/fake-shared-netd/links-view.ts';
import type { Links } from '../../../lib/netd/links.ts';
import { FakeProcessTable } from '../../../fixtures/fake-process-table.ts';
import { runCleanupCommand } from '../../../lib/cli/commands/cleanup.ts';
import type { CliIo } from '../../../lib/cli/io.ts';
import { createInstallFs } from '../../../lib/host/install-fs.ts';
import type { HostSockets } from '../../../lib/host/types.ts';
import { labLinkNames } from '../../../lib/netd/names.ts';
import { createNetdClient } from '../../../lib/netd/client.ts';

const LAB = labLinkNames('0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d');
const OTHER = labLinkNames('abcdefab-cdef-4abc-8def-abcdefabcdef');
const SOCKET = '/run/test/microvm-netd.sock';

let temp: DirectoryResult;
let stateDir: string;
let out: string[];
/** The links of the namespace cleanup runs in: the daemon's too, unless a test gives it others. */
let hereLinks: FakeLinks;
/** When set, the namespace cleanup runs in is this one instead (the shared-bridge fake's devices). */
let hereOverride: Links | null;
/** The links of the --netns namespace, which cleanup always deletes directly. */
let nsLinks: FakeLinks;

beforeEach(async () => {
  temp = await dir({ unsafeCleanup: true });
  stateDir = path.join(temp.path, 'microvm');
  await fs.mkdir(stateDir);
  out = [];
  hereLinks = new FakeLinks();
  hereOverride = null;
  nsLinks = new FakeLinks().seed({ name: OTHER.tap, kind: 'tap', alias: OTHER.alias });
});

afterEach(async () => {
  await temp.cleanup();
});

/** A lab whose daemon allocated its devices in the namespace cleanup runs in, then crashed with its backend. */
async function allocated(netd: InProcessNetd): Promise<void> {
  await netd.links.apply([
    { op: 'add-bridge', name: LAB.bridge },
    { op: 'set-alias', name: LAB.bridge, alias: LAB.alias },
    { op: 'add-tap', name: LAB.tap, owner: null },
    { op: 'set-alias', name: LAB.tap, alias: LAB.alias },
    { op: 'set-master', name: LAB.tap, master: LAB.bridge },
  ]);
  netd.links.batches.length = 0;
}

function cleanup(args: string[], sockets: HostSockets): Promise<number> {
  const io: CliIo = { argv: [], env: { OCTOLAB_MICROVM_NETD_SOCK: SOCKET }, cwd: temp.path, stdout: { write: (t: string) => out.push(t) } as never, stderr: { write: (t: string) => out.push(t) } as never };
  return runCleanupCommand(io, ['--state-dir', stateDir, '--netns', 'labns', ...args], {
    host: new FakeHost(),
    fs: createInstallFs(),
    processes: new FakeProcessTable(),
    linksIn: (netns) => (netns === null ? (hereOverride ?? hereLinks) : nsLinks),
    sockets,
    now: () => Date.now(),
    sleep: async () => undefined,
  });
}

/** The ops the daemon answered, without durations. */
function opsOf(netd: InProcessNetd): string[] {
  return netd.log.map((line) => line.replace(/ duration_ms=.*$/, ''));
}

describe('cleanup through microvm-netd', () => {
  it('releases the lab through the daemon when it answers hello and ping, and deletes --netns links directly', async () => {
    const netd = new InProcessNetd({ socketPath: SOCKET, links: hereLinks });
    await allocated(netd);
    expect(await cleanup([], netd.sockets)).toBe(0);
    const text = out.join('');
    expect(text).toContain(`releasing lab by lab through microvm-netd at ${SOCKET} (release_vm_net; it answered hello and ping; per-lab design)`);
    expect(text).toContain(`tap ${LAB.tap}  owner ${LAB.alias}  [through microvm-netd]`);
    expect(text).toContain(`tap ${OTHER.tap} in netns labns  owner ${OTHER.alias}  [directly with ip]`);
    expect(text).toContain(`[removed] deleted link ${LAB.tap} through microvm-netd (release_vm_net ${LAB.labId})`);
    expect(text).toContain(`[removed] deleted link ${LAB.bridge} through microvm-netd (release_vm_net ${LAB.labId})`);
    expect(text).toContain(`[removed] deleted link ${OTHER.tap} in netns labns directly with ip`);
    expect(opsOf(netd)).toEqual(['op=hello lab=- result=ok', 'op=ping lab=- result=ok', 'op=list lab=- result=ok', `op=release_vm_net lab=${LAB.labId} result=ok`]);
    expect(hereLinks.batches).toEqual([[{ op: 'delete', name: LAB.tap }, { op: 'delete', name: LAB.bridge }]]);
    expect(hereLinks.labLinkNames()).toEqual([]);
    expect(nsLinks.labLinkNames()).toEqual([]);
  });

  it('releases the lab through the previous per-lab daemon too, whose list is the old `labs` shape', async () => {
    const previous = new InProcessPreviousNetd({ socketPath: SOCKET, links: hereLinks });
    await allocated(previous.netd);
    expect(await cleanup([], previous.sockets)).toBe(0);
    const text = out.join('');
    expect(text).toContain(`releasing lab by lab through microvm-netd at ${SOCKET} (release_vm_net; it answered hello and ping; per-lab design)`);
    expect(text).toContain(`[removed] deleted link ${LAB.bridge} through microvm-netd (release_vm_net ${LAB.labId})`);
    expect(previous.ops).toEqual(['hello', 'ping', 'list', 'release_vm_net']);
    expect(hereLinks.labLinkNames()).toEqual([]);
  });

  it('says in the dry run that it would release through the daemon, and asks it nothing but hello, ping and list', async () => {
    const netd = new InProcessNetd({ socketPath: SOCKET, links: hereLinks });
    await allocated(netd);
    expect(await cleanup(['--dry-run'], netd.sockets)).toBe(0);
    expect(out.join('')).toContain(`would release lab by lab through microvm-netd at ${SOCKET}`);
    expect(opsOf(netd)).toEqual(['op=hello lab=- result=ok', 'op=ping lab=- result=ok', 'op=list lab=- result=ok']);
    expect(hereLinks.labLinkNames()).toEqual([LAB.bridge, LAB.tap]);
  });

  it('deletes directly, and says why, when nothing answers on the socket', async () => {
    const netd = new InProcessNetd({ socketPath: '/run/elsewhere.sock', links: hereLinks });
    await allocated(netd);
    expect(await cleanup([], netd.sockets)).toBe(0);
    const text = out.join('');
    expect(text).toMatch(new RegExp(`deleting them directly with ip: microvm-netd at ${SOCKET} does not answer \\(cannot reach microvm-netd at ${SOCKET}: ENOENT\\)`));
    expect(text).toContain(`[removed] deleted link ${LAB.bridge} directly with ip`);
    expect(hereLinks.labLinkNames()).toEqual([]);
  });

  it('deletes directly when something other than microvm-netd answers on the socket', async () => {
    const hostile: HostSockets = { unixRequest: async () => Buffer.from('{"ok":true,"api_version":7}') };
    await new InProcessNetd({ links: hereLinks }).links.apply([{ op: 'add-bridge', name: LAB.bridge }, { op: 'set-alias', name: LAB.bridge, alias: LAB.alias }]);
    expect(await cleanup([], hostile)).toBe(0);
    expect(out.join('')).toMatch(/directly with ip: microvm-netd at \S+ does not answer \(microvm-netd API version mismatch: got 7, need 1\)/);
    expect(hereLinks.labLinkNames()).toEqual([]);
  });

  it('deletes a lab directly when the daemon does not list its devices (it serves another namespace) and leaves the daemon\'s own alone', async () => {
    const netd = new InProcessNetd({ socketPath: SOCKET });
    await netd.links.apply([{ op: 'add-bridge', name: OTHER.bridge }, { op: 'set-alias', name: OTHER.bridge, alias: OTHER.alias }]);
    await allocated(new InProcessNetd({ links: hereLinks }));
    expect(await cleanup([], netd.sockets)).toBe(0);
    expect(out.join('')).toContain(`lab ${LAB.labId} directly with ip: microvm-netd does not list this lab (it may serve another network namespace)`);
    expect(opsOf(netd).some((line) => line.startsWith('op=release_vm_net'))).toBe(false);
    expect(hereLinks.labLinkNames()).toEqual([]);
    expect(netd.links.labLinkNames()).toEqual([OTHER.bridge]);
  });

  it('deletes a link directly when the daemon released the lab but the link is still here (the same lab in its other namespace)', async () => {
    const netd = new InProcessNetd({ socketPath: SOCKET });
    await allocated(netd);
    await allocated(new InProcessNetd({ links: hereLinks }));
    expect(await cleanup([], netd.sockets)).toBe(0);
    expect(out.join('')).toContain(`[removed] deleted link ${LAB.tap} directly with ip (microvm-netd released lab ${LAB.labId}, but ${LAB.tap} is still here: the daemon serves another network namespace)`);
    expect(hereLinks.labLinkNames()).toEqual([]);
  });

  it('falls back to direct removal of the owned link when the daemon refuses the release (a device of the lab has no alias)', async () => {
    const netd = new InProcessNetd({ socketPath: SOCKET, links: hereLinks });
    await allocated(netd);
    hereLinks.table.get(LAB.tap)!.alias = null;
    expect(await cleanup([], netd.sockets)).toBe(0);
    const text = out.join('');
    expect(text).toContain(`link ${LAB.tap}: it has no owner alias`);
    expect(text).toMatch(new RegExp(`\\[removed\\] deleted link ${LAB.bridge} directly with ip \\(microvm-netd did not release lab ${LAB.labId}: netd refused release_vm_net: NAME_IN_USE`));
    expect(hereLinks.labLinkNames()).toEqual([LAB.tap]);
  });

  it('reports a release the kernel refused as failed (exit 1) instead of going around the daemon', async () => {
    const netd = new InProcessNetd({ socketPath: SOCKET, links: hereLinks });
    await allocated(netd);
    hereLinks.failOn((op) => op.op === 'delete', 'EPERM', 'RTNETLINK answers: Operation not permitted', 2);
    expect(await cleanup([], netd.sockets)).toBe(1);
    expect(out.join('')).toContain(`[FAIL] release_vm_net ${LAB.labId} through microvm-netd failed: netd refused release_vm_net: EPERM`);
    expect(hereLinks.labLinkNames()).toEqual([LAB.bridge, LAB.tap]);
  });

  it('does not ask the daemon anything when no lab link is left in the namespace cleanup runs in', async () => {
    const netd = new InProcessNetd({ socketPath: SOCKET, links: hereLinks });
    expect(await cleanup([], netd.sockets)).toBe(0);
    expect(netd.log).toEqual([]);
    expect(out.join('')).not.toContain('microvm-netd');
  });
});

describe('cleanup through a shared-bridge microvm-netd (upstream\'s design: no owner records, one shared bridge)', () => {
  /** The shared-bridge fake with LAB (whose lab dir cleanup finds) and OTHER (no lab dir: a running lab) allocated. */
  async function sharedWorld(): Promise<InProcessSharedNetd> {
    const netd = new InProcessSharedNetd({ socketPath: SOCKET });
    const client = createNetdClient({ sockets: netd.sockets, socketPath: SOCKET });
    await client.alloc(LAB.labId);
    await client.alloc(OTHER.labId);
    await fs.mkdir(path.join(stateDir, `lab_${LAB.labId}`));
    hereOverride = sharedToolsAsLinks(netd.tools);
    netd.ops.length = 0;
    return netd;
  }

  it("releases the TAP of the lab whose directory it removes through the daemon, and leaves br-octonet and a running lab's TAP, saying why", async () => {
    const netd = await sharedWorld();
    expect(await cleanup(['--dry-run'], netd.sockets)).toBe(0);
    const plan = out.join('');
    expect(plan).toContain(`would release lab by lab through microvm-netd at ${SOCKET} (release_vm_net; it answered hello and ping; shared-bridge design: release deletes only the TAP)`);
    expect(plan).toContain(`tap ${LAB.tap}  owner lab ${LAB.labId} (no alias: named for its lab dir, listed by microvm-netd)  [through microvm-netd]`);
    expect(plan).toContain("bridge br-octonet: the shared bridge of microvm-netd's shared-bridge design: every lab's TAP is enslaved to it, so cleanup never removes it");
    expect(plan).toContain(`link ${OTHER.tap}: microvm-netd lists it, but no lab directory cleanup removes names it (a running lab, or one of another state dir): left to the daemon`);
    expect(plan).not.toContain(`link ${LAB.tap}: it has no owner alias`);
    expect(netd.ops).toEqual(['hello', 'ping', 'list']);

    out.length = 0;
    netd.ops.length = 0;
    expect(await cleanup([], netd.sockets)).toBe(0);
    const text = out.join('');
    expect(text).toContain(`[removed] deleted link ${LAB.tap} through microvm-netd (release_vm_net ${LAB.labId})`);
    expect(text).toMatch(/cleanup: 3 removed\n$/);
    expect(netd.ops).toEqual(['hello', 'ping', 'list', 'release_vm_net']);
    expect(netd.tools.names()).toEqual(['br-octonet', OTHER.tap]);
    expect(await fs.readdir(stateDir)).toEqual([]);
  });

  it('leaves an unrecorded TAP alone when the daemon does not answer (nothing else may prove it is the lab\'s)', async () => {
    const netd = await sharedWorld();
    expect(await cleanup([], new InProcessSharedNetd({ socketPath: '/run/elsewhere.sock' }).sockets)).toBe(0);
    const text = out.join('');
    expect(text).toContain(`link ${LAB.tap}: it has no owner record; it is named for lab ${LAB.labId}, whose directory cleanup removes, but only microvm-netd could release it and it does not answer`);
    expect(netd.tools.names()).toEqual(['br-octonet', OTHER.tap, LAB.tap].sort());
    expect(await fs.readdir(stateDir)).toEqual([]);
  });

  it('reports a release the daemon refuses as failed and never deletes the unrecorded TAP itself', async () => {
    const netd = await sharedWorld();
    netd.tools.failOn((line) => line === `ip link del ${LAB.tap}`, 'RTNETLINK answers: Operation not permitted');
    expect(await cleanup([], netd.sockets)).toBe(1);
    expect(out.join('')).toContain(`[FAIL] release_vm_net ${LAB.labId} through microvm-netd failed: netd refused release_vm_net: EPERM`);
    expect(netd.tools.names()).toContain(LAB.tap);
  });
});
