import { readSwitch } from '../../config/tool-variables.ts';
import { MAX_BOOT_SECONDS, ValueRejected, parseBootSeconds } from '../../config/variables.ts';
import { bootMicroVm, type BootOptions } from '../../firecracker/boot-pipeline.ts';
import { bootResultToJson, type BootResult } from '../../firecracker/boot-result.ts';
import { bootInputsFromConfig } from '../../firecracker/boot-inputs.ts';
import { createNetdLease } from '../../firecracker/netd-lease.ts';
import { renderBootText, renderStageLine } from '../../firecracker/render-boot-result.ts';
import type { StepEvent } from '../../firecracker/run-steps.ts';
import type { MarkerMatch } from '../../firecracker/serial-lines.ts';
import { createRealHost } from '../../host/real-host.ts';
import type { Host } from '../../host/types.ts';
import { EXIT, type CliIo, type Command } from '../io.ts';
import { DOTENV_OPTION, flag, parseOptions, stringValue, usageError, type CommandSpec } from '../options.ts';
import { loadSettings } from '../settings.ts';

/** The boot's options and help. */
export const spec: CommandSpec = {
  name: 'boot',
  summary: 'Boot the hello microVM and wait for its marker line on the serial console.',
  synopsis: ['boot [--keep] [--timeout SECONDS] [--marker TEXT] [--marker-match line|contains] [--net] [--json] [--dotenv PATH]'],
  description: [
    'Starts firecracker with the configured kernel and rootfs (a copy per lab, in <state dir>/lab_<uuid>/), configures it over its API socket, starts the instance and waits for the marker on the serial console; then tears everything down. Each stage is printed as it passes, on a terminal and in a pipe alike.',
  ],
  options: [
    { name: 'keep', type: 'boolean', description: 'Leave the VM and its lab directory in place after the marker (also KEEP=1); `octolab-verify cleanup` removes them later.' },
    { name: 'timeout', type: 'string', value: 'SECONDS', description: `Total time for all stages (default OCTOLAB_BOOT_TIMEOUT_SECS, 60): a number of seconds from 0.001 to ${MAX_BOOT_SECONDS}, the same rule as the variable.` },
    { name: 'marker', type: 'string', value: 'TEXT', description: 'The serial line to wait for (default OCTOLAB_HELLO_MARKER, "Hello, World!"): one line of printable text.' },
    { name: 'marker-match', type: 'string', value: 'MODE', description: 'How the marker is matched: line, a whole serial line (default); contains, anywhere in a line, e.g. a "login:" prompt (the kernel\'s command-line echo never counts).' },
    { name: 'net', type: 'boolean', description: 'Attach eth0 to a TAP leased from microvm-netd (OCTOLAB_MICROVM_NETD_SOCK), released at teardown.' },
    { name: 'json', type: 'boolean', description: 'Print the result as JSON instead of text.' },
    DOTENV_OPTION,
  ],
  exitCodes: [0, 1, 64, 78, 130],
  exitNotes: {
    0: 'the marker was seen (and firecracker exited 0, unless kept)',
    1: 'a stage failed; the line above names it, and everything the boot made was removed',
    130: 'interrupted (SIGINT/SIGTERM); the lab was torn down first',
  },
};

/** Exit code of a boot stopped by SIGINT/SIGTERM (after teardown). */
export const EXIT_INTERRUPTED = 130;

/** What the command takes from outside besides io; tests replace parts of the boot. */
export interface BootCommandDeps {
  host?: Host;
  boot?: Partial<Omit<BootOptions, 'inputs'>>;
}

/** Runs `boot`: config → the staged boot → the result (text or JSON); returns the exit code. */
export async function runBootCommand(io: CliIo, args: readonly string[], deps: BootCommandDeps = {}): Promise<number> {
  const { values } = parseOptions(spec, args);
  const timeoutText = stringValue(values, 'timeout');
  const timeout = timeoutText === undefined ? undefined : parseOptionSeconds(timeoutText);
  const match = stringValue(values, 'marker-match') ?? 'line';
  if (match !== 'line' && match !== 'contains') throw usageError('boot', `--marker-match must be line or contains, got ${JSON.stringify(match)}`);
  const marker = stringValue(values, 'marker');
  if (marker !== undefined && (marker === '' || /[\x00-\x1f\x7f]/.test(marker))) throw usageError('boot', '--marker must be one line of printable text');
  const keep = flag(values, 'keep') || readSwitch(io.env, 'KEEP');
  const host = deps.host ?? createRealHost(io.env);
  const { config } = await loadSettings(io, 'boot', host, stringValue(values, 'dotenv'));
  const json = flag(values, 'json');
  // The netd client loads only for --net: a boot without a network does not pay for it before the spawn.
  const netd = flag(values, 'net') ? createNetdLease((await import('../../netd/client.ts')).createNetdClient({ sockets: host.sockets, socketPath: config.netdSocket, timeoutMs: 10_000 })) : undefined;

  const result = await bootMicroVm({
    inputs: bootInputsFromConfig(config, { marker: marker ?? config.helloMarker, markerMatch: match as MarkerMatch, env: io.env }),
    budgetMs: (timeout ?? config.bootTimeoutSecs) * 1000,
    keep,
    signal: io.signal,
    host,
    netd,
    // Text mode prints each stage as it passes, on a terminal and in a pipe (a CI log) alike.
    out: json ? undefined : (event) => showProgress(io, event),
    ...deps.boot,
  });
  io.stdout.write(json ? `${JSON.stringify(bootResultToJson(result), null, 2)}\n` : renderBootText(result, { stages: false }));
  return exitCodeOf(io, result);
}

/** Prints each stage as it ends, with its time. */
function showProgress(io: CliIo, event: StepEvent): void {
  if (event.type === 'step-end') io.stdout.write(`${renderStageLine(event)}\n`);
}

function exitCodeOf(io: CliIo, result: BootResult): number {
  if (result.ok) return EXIT.ok;
  io.stderr.write(`octolab-verify boot: FAILED at stage "${result.failedStage}"\n`);
  return result.error?.code === 'BOOT_INTERRUPTED' ? EXIT_INTERRUPTED : EXIT.failed;
}

/** The `boot` command. */
export const command: Command = {
  name: 'boot',
  summary: spec.summary,
  spec,
  run: (io, args) => runBootCommand(io, args),
};

/** Reads --timeout by the rule OCTOLAB_BOOT_TIMEOUT_SECS follows; a bad value is a usage error. */
function parseOptionSeconds(text: string): number {
  try {
    return parseBootSeconds(text);
  } catch (error) {
    if (!(error instanceof ValueRejected)) throw error;
    throw usageError('boot', `--timeout must be ${error.message}, got ${JSON.stringify(text)}`);
  }
}
