import path from 'node:path';
import { VerifyError } from '../../errors.ts';
import { createRealHost } from '../../host/real-host.ts';
import { reportTargetProblem } from '../../host/report-file.ts';
import type { Host } from '../../host/types.ts';
import { buildHelloRootfs, type HelloRootfsResult } from '../../provision/hello-rootfs.ts';
import { EXIT, type CliIo, type Command } from '../io.ts';
import { DOTENV_OPTION, flag, parseOptions, stringValue, usageError, type CommandSpec } from '../options.ts';
import { loadSettings } from '../settings.ts';
import { toolJson } from '../../json-style.ts';

/** The image command's options and help. */
export const spec: CommandSpec = {
  name: 'image',
  summary: 'Build the hello rootfs image (image build).',
  synopsis: ['image build [--out PATH] [--marker TEXT] [--size MIB] [--force] [--json] [--dotenv PATH]'],
  description: [
    'Builds the hello rootfs (ext4) from the distro\'s static busybox, without root or loop mounts: its /sbin/init prints the marker on the console and reboots, so Firecracker exits 0. An up-to-date image (same busybox, marker and size) is left as it is. Needs busybox-static, mkfs.ext4, debugfs and e2fsck.',
  ],
  options: [
    { name: 'out', type: 'string', value: 'PATH', description: 'Where to write the image (default: hello-rootfs.ext4 beside OCTOLAB_MICROVM_ROOTFS_BASE_PATH, else /var/lib/octolab/firecracker/hello-rootfs.ext4). Its directory must exist; PATH must not be a directory.' },
    { name: 'marker', type: 'string', value: 'TEXT', description: 'The line init prints (default OCTOLAB_HELLO_MARKER, "Hello, World!").' },
    { name: 'size', type: 'string', value: 'MIB', description: 'Image size in MiB, a whole number from 8 to 1024 (default 16).' },
    { name: 'force', type: 'boolean', description: 'Replace PATH even if it is not a hello image built by this tool (never a directory).' },
    { name: 'json', type: 'boolean', description: 'Print the result as JSON instead of text.' },
    DOTENV_OPTION,
  ],
  exitCodes: [0, 1, 64, 78],
  exitNotes: {
    0: 'the image was built, or was already up to date',
    1: 'the build failed (a tool missing or failing); nothing was left at PATH',
  },
  positionals: true,
};

const DEFAULT_DIR = '/var/lib/octolab/firecracker';

/** Renders the build result for people. */
export function renderImageResult(result: HelloRootfsResult): string {
  const what = result.built ? `built ${result.path}` : `${result.path} is up to date (nothing written)`;
  return [
    what,
    `  marker:      ${result.marker}`,
    `  busybox:     ${result.busybox}`,
    `  fingerprint: ${result.fingerprint}`,
    `  boot it with OCTOLAB_MICROVM_ROOTFS_BASE_PATH=${result.path} octolab-verify boot`,
    '',
  ].join('\n');
}

/** An unusable output: a usage error for --out, a plain failure for the default path. */
function outProblem(fromFlag: boolean, problem: string): Error {
  if (fromFlag) return usageError('image', `--out: ${problem}`);
  return new VerifyError({ code: 'IMAGE_OUT_UNUSABLE', summary: `cannot write the image: ${problem}`, hint: 'pass --out PATH, a file in a directory you can write' });
}

/** Runs `image build`; returns the exit code. */
export async function runImageCommand(io: CliIo, args: readonly string[], host: Host = createRealHost(io.env)): Promise<number> {
  const { values, positionals } = parseOptions(spec, args);
  const [sub, ...extra] = positionals;
  if (sub !== 'build') throw usageError('image', sub ? `unknown image subcommand ${JSON.stringify(sub)} (the one subcommand is build)` : 'image needs a subcommand: image build');
  if (extra.length > 0) throw usageError('image', `unexpected argument ${JSON.stringify(extra.join(' '))}`);
  const sizeText = stringValue(values, 'size');
  const size = sizeText === undefined ? undefined : /^\d{1,4}$/.test(sizeText) ? Number(sizeText) : Number.NaN;
  if (size !== undefined && !(size >= 8 && size <= 1024)) throw usageError('image', `--size must be a whole number of MiB from 8 to 1024, got ${JSON.stringify(sizeText)}`);
  const marker = stringValue(values, 'marker');
  if (marker !== undefined && (marker === '' || /[\x00-\x1f\x7f]/.test(marker))) throw usageError('image', '--marker must be one line of printable text');
  const outText = stringValue(values, 'out');
  if (outText !== undefined && outText.trim() === '') throw usageError('image', '--out needs a file path, got an empty string');
  const { config } = await loadSettings(io, 'image', host, stringValue(values, 'dotenv'));
  const out = path.resolve(io.cwd, outText ?? path.join(config.rootfsPath ? path.dirname(config.rootfsPath) : DEFAULT_DIR, 'hello-rootfs.ext4'));
  if ((await host.fs.stat(out).catch(() => null))?.kind === 'directory') {
    throw usageError('image', `--out ${out} is a directory: name the image file, e.g. ${path.join(out, 'hello-rootfs.ext4')} (--force never replaces a directory)`);
  }
  // Where the directory exists, prove it takes a file before busybox, mkfs and debugfs run.
  const problem = (await host.fs.stat(path.dirname(out)).catch(() => null))?.kind === 'directory' ? await reportTargetProblem(out, 'hello-rootfs.ext4') : null;
  if (problem) throw outProblem(outText !== undefined, problem);
  const result = await buildHelloRootfs({ host, out, marker: marker ?? config.helloMarker, sizeMib: size, force: flag(values, 'force') });
  io.stdout.write(flag(values, 'json') ? `${JSON.stringify({ ...result, tool: toolJson() }, null, 2)}\n` : renderImageResult(result));
  return EXIT.ok;
}

/** The `image` command. */
export const command: Command = {
  name: 'image',
  summary: spec.summary,
  spec,
  run: (io, args) => runImageCommand(io, args),
};
