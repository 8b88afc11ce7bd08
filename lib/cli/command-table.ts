import type { Command } from './io.ts';

/** One row of the CLI's command table: what `--help` lists, and how to load the command when it runs. */
export interface CommandEntry {
  name: string;
  /** The one-line summary `--help` prints; suites/unit/cli/command-table.test.ts keeps it equal to the command's own. */
  summary: string;
  load: () => Promise<{ command: Command }>;
}

/**
 * Every subcommand, in the order `--help` lists them. Static text, so that `--help` loads no
 * command module; each command's code (and what it imports) loads only when that command runs.
 * A new command is one row.
 */
export const COMMAND_TABLE: readonly CommandEntry[] = [
  { name: 'doctor', summary: 'Check this host for every microVM prerequisite (KVM, firecracker, jailer, images, state dir, vsock, netd); no root needed.', load: () => import('./commands/doctor.ts') },
  { name: 'verify', summary: 'The main job: the doctor on this host, then the host suites, then what is missing and how to fix it.', load: () => import('./commands/verify.ts') },
  { name: 'boot', summary: 'Boot the hello microVM and wait for its marker line on the serial console.', load: () => import('./commands/boot.ts') },
  { name: 'netd', summary: 'Run microvm-netd (serve) or talk to it (hello, ping, alloc, release, diag, list).', load: () => import('./commands/netd.ts') },
  { name: 'image', summary: 'Build the hello rootfs image (image build).', load: () => import('./commands/image.ts') },
  { name: 'setup', summary: 'Install Firecracker v1.7.0 + jailer, kernel, hello rootfs, state dir, group, octolab-verify on PATH, the netd service and the .env.local block (verified downloads).', load: () => import('./commands/setup.ts') },
  { name: 'rollback', summary: 'Undo setup: the .env.local block (both marker forms, OCTOLAB_RUNTIME=compose), the netd service and the octolab-verify link; optionally assets and binaries.', load: () => import('./commands/rollback.ts') },
  { name: 'cleanup', summary: 'Remove what a crashed lab left (its firecracker, lab dir, sockets, owned obr/otp links) and nothing else.', load: () => import('./commands/cleanup.ts') },
  { name: 'report', summary: "Merge many hosts' reports (doctor, boot, verify JSON, JUnit) into one fleet view: Markdown and a self-contained HTML page.", load: () => import('./commands/report.ts') },
];

/** The table's row for `name`, or undefined for an unknown command. */
export function findCommand(name: string): CommandEntry | undefined {
  return COMMAND_TABLE.find((entry) => entry.name === name);
}
