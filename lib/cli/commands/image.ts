import path from 'node:path';
import { loadConfig } from '../../config/index.ts';
import { UsageError } from '../../errors.ts';
import { createRealHost } from '../../host/real-host.ts';
import type { Host } from '../../host/types.ts';
import { buildHelloRootfs, type HelloRootfsResult } from '../../provision/hello-rootfs.ts';
import { EXIT, type CliIo, type Command } from '../io.ts';
import { parseCommandArgs } from '../parse-args.ts';

const USAGE = `octolab-verify image build [--out PATH] [--marker TEXT] [--size MIB] [--force] [--json] [--env-file PATH]

  Builds the hello rootfs (ext4) from the distro's static busybox, without root or loop mounts:
  its /sbin/init prints the marker on the console and reboots, so Firecracker exits 0.

  --out PATH       where to write it (default: hello-rootfs.ext4 beside OCTOLAB_MICROVM_ROOTFS_BASE_PATH,
                   else /var/lib/octolab/firecracker/hello-rootfs.ext4)
  --marker TEXT    the line init prints (default OCTOLAB_HELLO_MARKER, "Hello, World!")
  --size MIB       image size, 8 to 1024 (default 16)
  --force          replace PATH even if it is not a hello image built by this tool
  --json           print the result as JSON

  An up-to-date image (same busybox, marker and size) is left as it is.`;

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

/** Runs `image build`; returns the exit code. */
export async function runImageCommand(io: CliIo, args: readonly string[], host: Host = createRealHost(io.env)): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'build') throw new UsageError({ code: 'USAGE', summary: sub ? `unknown image subcommand "${sub}"` : 'missing subcommand', hint: `usage: ${USAGE}` });
  const { values } = parseCommandArgs(
    rest,
    { out: { type: 'string' }, marker: { type: 'string' }, size: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' }, 'env-file': { type: 'string' } },
    USAGE,
  );
  const size = values.size === undefined ? undefined : Number(values.size);
  if (size !== undefined && (!Number.isInteger(size) || size < 8 || size > 1024)) {
    throw new UsageError({ code: 'USAGE', summary: `--size must be a whole number of MiB from 8 to 1024, got ${JSON.stringify(values.size)}`, hint: `usage: ${USAGE}` });
  }
  const { config } = await loadConfig({ env: io.env, fs: host.fs, cwd: io.cwd, envFile: values['env-file'] });
  const out = path.resolve(io.cwd, values.out ?? path.join(config.rootfsPath ? path.dirname(config.rootfsPath) : DEFAULT_DIR, 'hello-rootfs.ext4'));
  const result = await buildHelloRootfs({ host, out, marker: values.marker ?? config.helloMarker, sizeMib: size, force: values.force === true });
  io.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : renderImageResult(result));
  return EXIT.ok;
}

/** The `image` command. */
export const command: Command = {
  name: 'image',
  summary: 'build the hello rootfs image (image build)',
  usage: USAGE,
  run: (io, args) => runImageCommand(io, args),
};
