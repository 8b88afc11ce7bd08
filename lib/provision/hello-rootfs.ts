import { createHash } from 'node:crypto';
import path from 'node:path';
import { VerifyError } from '../errors.ts';
import type { Host, RunResult } from '../host/types.ts';
import { ELF_MACHINE, readElfLinkage } from './elf-linkage.ts';
import { HELLO_MARKER, markerProblem, renderHelloInit } from './hello-init.ts';
import { createImageFiles, type ImageFiles } from '../host/image-files.ts';

/** The hello image could not be built (or would overwrite something that is not one). */
export class ProvisionError extends VerifyError {}

/** What to build. */
export interface HelloRootfsOptions {
  host: Host;
  /** Output image path; its directory must exist. */
  out: string;
  marker?: string;
  /** A static busybox; default `busybox` on PATH (Debian's busybox-static installs /bin/busybox). */
  busybox?: string;
  /** Image size in MiB; default 16. */
  sizeMib?: number;
  /** Replace `out` even when it is not a hello image built by this tool. */
  force?: boolean;
  files?: ImageFiles;
}

/** What was done. */
export interface HelloRootfsResult {
  path: string;
  /** False when `out` already held this exact image (nothing was written). */
  built: boolean;
  fingerprint: string;
  marker: string;
  busybox: string;
}

/** The file inside the image that identifies it and the inputs it was built from. */
export const HELLO_STAMP = '/etc/octolab-hello';
const FORMAT = 'octolab-hello-rootfs/1';
const TOOL_TIMEOUT_MS = 60_000;
const TREE = ['bin', 'bin/busybox', 'bin/sh', 'sbin', 'sbin/init', 'etc', 'etc/octolab-hello', 'dev', 'proc', 'sys', 'tmp', 'root'];

/**
 * Builds the hello rootfs without root and without loop mounts: a staging tree (static busybox,
 * `/bin/sh`, the init, a stamp) made into ext4 by `mkfs.ext4 -d`, device nodes and root ownership
 * added with `debugfs -w`, checked with `e2fsck -fn`, then renamed over `out`. Idempotent: an image
 * with the same fingerprint (format, marker, init, busybox bytes, size) is left alone.
 */
export async function buildHelloRootfs(options: HelloRootfsOptions): Promise<HelloRootfsResult> {
  const { host } = options;
  const files = options.files ?? createImageFiles();
  const marker = options.marker ?? HELLO_MARKER;
  const sizeMib = options.sizeMib ?? 16;
  const problem = markerProblem(marker);
  if (problem) throw new ProvisionError({ code: 'IMAGE_BAD_MARKER', summary: `cannot build an image for marker ${JSON.stringify(marker)}: ${problem}`, hint: 'Use one line of printable text.' });
  if (!Number.isInteger(sizeMib) || sizeMib < 8 || sizeMib > 1024) throw new ProvisionError({ code: 'IMAGE_BAD_SIZE', summary: `image size must be 8 to 1024 MiB, got ${sizeMib}` });
  const tools = { mkfs: await findTool(host, 'mkfs.ext4'), debugfs: await findTool(host, 'debugfs'), e2fsck: await findTool(host, 'e2fsck') };
  const busybox = await findStaticBusybox(host, options.busybox);
  const init = renderHelloInit(marker);
  const fingerprint = await fingerprintOf(host, busybox, marker, sizeMib);
  const stamp = `format=${FORMAT}\nfingerprint=${fingerprint}\nmarker=${JSON.stringify(marker)}\n`;
  const out = path.resolve(options.out);
  const result = { path: out, fingerprint, marker, busybox };

  const parent = await host.fs.stat(path.dirname(out)).catch(() => null);
  if (parent?.kind !== 'directory') {
    throw new ProvisionError({ code: 'IMAGE_OUT_DIR_MISSING', summary: `cannot write ${out}: the directory ${path.dirname(out)} does not exist`, hint: `Create it first (mkdir -p ${path.dirname(out)}) or choose another --out.` });
  }
  if (await files.exists(out)) {
    const existing = await readStamp(host, tools.debugfs, out);
    if (existing?.includes(`fingerprint=${fingerprint}\n`)) return { ...result, built: false };
    if (existing === null && !options.force) {
      throw new ProvisionError({ code: 'IMAGE_EXISTS', summary: `${out} exists and is not a hello image built by octolab-verify`, hint: 'Choose another --out, or pass --force to replace it.' });
    }
  }
  const staging = await files.makeStagingDir();
  const temp = files.tempPathBeside(out);
  try {
    const tree = path.join(staging, 'tree');
    for (const dir of ['bin', 'sbin', 'etc', 'dev', 'proc', 'sys', 'tmp', 'root']) await files.mkdir(path.join(tree, dir));
    await files.copyFile(busybox, path.join(tree, 'bin/busybox'), 0o755);
    await files.symlink('busybox', path.join(tree, 'bin/sh'));
    await files.writeFile(path.join(tree, 'sbin/init'), init, 0o755);
    await files.writeFile(path.join(tree, 'etc/octolab-hello'), stamp, 0o644);
    const uuid = fingerprint.slice(0, 32).replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5');
    await run(host, tools.mkfs, ['-q', '-F', '-t', 'ext4', '-L', 'hello-rootfs', '-U', uuid, '-E', `root_owner=0:0,hash_seed=${uuid}`, '-d', tree, temp, `${sizeMib}M`]);
    const script = path.join(staging, 'debugfs.cmds');
    await files.writeFile(script, debugfsScript(), 0o600);
    const edit = await run(host, tools.debugfs, ['-w', '-f', script, temp]);
    const complaints = edit.stderr.split('\n').filter((line) => line.trim() !== '' && !/^debugfs \d/.test(line));
    if (complaints.length > 0) throw toolError(edit, `debugfs reported: ${complaints.join('; ')}`);
    await run(host, tools.e2fsck, ['-f', '-n', temp]);
    if ((await readStamp(host, tools.debugfs, temp)) !== stamp) throw new ProvisionError({ code: 'IMAGE_VERIFY_FAILED', summary: `the built image does not hold the expected ${HELLO_STAMP}` });
    await files.rename(temp, out);
  } finally {
    await files.remove(temp);
    await files.remove(staging);
  }
  return { ...result, built: true };
}

/** Device nodes the kernel needs for init's console, and root ownership for every inode. */
function debugfsScript(): string {
  const lines = ['cd /dev', 'mknod console c 5 1', 'sif console mode 020600', 'mknod null c 1 3', 'sif null mode 020666', 'mknod ttyS0 c 4 64', 'sif ttyS0 mode 020600', 'cd /'];
  for (const entry of [...TREE, 'dev/console', 'dev/null', 'dev/ttyS0']) lines.push(`sif /${entry} uid 0`, `sif /${entry} gid 0`);
  lines.push('sif /tmp mode 041777');
  return `${lines.join('\n')}\n`;
}

async function findTool(host: Host, name: string): Promise<string> {
  const found = await host.proc.which(name);
  if (found) return found;
  // e2fsprogs lives in /usr/sbin, which a non-root PATH often lacks.
  for (const dir of ['/usr/sbin', '/sbin']) {
    if (await host.fs.exists(path.join(dir, name))) return path.join(dir, name);
  }
  throw new ProvisionError({ code: 'IMAGE_TOOL_MISSING', summary: `${name} not found (PATH, /usr/sbin, /sbin)`, hint: 'Install e2fsprogs: apt-get install -y e2fsprogs' });
}

async function findStaticBusybox(host: Host, given: string | undefined): Promise<string> {
  const busybox = given ?? (await host.proc.which('busybox'));
  const hint = 'Install the static build: apt-get install -y busybox-static (it replaces the dynamic busybox package).';
  if (!busybox) throw new ProvisionError({ code: 'IMAGE_TOOL_MISSING', summary: 'busybox not found on PATH', hint });
  const linkage = await readElfLinkage((offset, length) => host.fs.readBytes(busybox, offset, length));
  if (linkage.kind === 'not-elf') throw new ProvisionError({ code: 'IMAGE_BAD_BUSYBOX', summary: `${busybox} is not a usable executable: ${linkage.why}`, hint });
  if (linkage.kind === 'dynamic') throw new ProvisionError({ code: 'IMAGE_BAD_BUSYBOX', summary: `${busybox} is dynamically linked; the hello image has no libraries`, hint });
  const expected = ELF_MACHINE[process.arch];
  if (expected !== undefined && linkage.machine !== expected) {
    throw new ProvisionError({ code: 'IMAGE_BAD_BUSYBOX', summary: `${busybox} is built for ELF machine 0x${linkage.machine.toString(16)}, not this host (${process.arch})`, hint });
  }
  return busybox;
}

async function fingerprintOf(host: Host, busybox: string, marker: string, sizeMib: number): Promise<string> {
  const { size } = await host.fs.stat(busybox);
  return helloFingerprint(await host.fs.readBytes(busybox, 0, size), marker, sizeMib);
}

/** The image's identity: format, marker, init text, size and the busybox bytes, hashed (sha256 hex). */
export function helloFingerprint(busyboxBytes: Buffer, marker: string, sizeMib: number): string {
  return createHash('sha256').update(`${FORMAT}\0${marker}\0${renderHelloInit(marker)}\0${sizeMib}\0`).update(busyboxBytes).digest('hex');
}

/** The stamp file of an image, or null when the image has none (or is not ext4). */
async function readStamp(host: Host, debugfs: string, image: string): Promise<string | null> {
  const answer = await host.proc.run(debugfs, ['-R', `cat ${HELLO_STAMP}`, image], { timeoutMs: TOOL_TIMEOUT_MS });
  if (answer.exitCode !== 0 || /File not found|Bad magic|Couldn't find valid filesystem/.test(answer.stderr)) return null;
  return answer.stdout.startsWith(`format=${FORMAT}\n`) ? answer.stdout : null;
}

async function run(host: Host, file: string, args: string[]): Promise<RunResult> {
  const result = await host.proc.run(file, args, { timeoutMs: TOOL_TIMEOUT_MS });
  if (result.exitCode !== 0) throw toolError(result, `${path.basename(file)} failed (${result.timedOut ? 'timed out' : `exit ${result.exitCode}`})`);
  return result;
}

function toolError(result: RunResult, summary: string): ProvisionError {
  return new ProvisionError({
    code: 'IMAGE_TOOL_FAILED',
    summary,
    attempted: result.command,
    reason: result.timedOut ? 'timed out' : `exit ${result.exitCode}${result.signal ? ` (${result.signal})` : ''}`,
    output: `${result.stderr}${result.stdout}`.trim().split('\n').slice(-15).join('\n') || undefined,
    hint: 'Check e2fsprogs (mkfs.ext4 -d needs 1.43 or newer) and free space beside the output.',
  });
}
