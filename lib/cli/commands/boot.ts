import { loadConfig } from '../../config/index.ts';
import { UsageError } from '../../errors.ts';
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
import { parseCommandArgs, parseSeconds } from '../parse-args.ts';

const USAGE = `octolab-verify boot [--keep] [--timeout S] [--marker TEXT] [--marker-match line|contains] [--net] [--json] [--env-file PATH]

  --keep               leave the VM and its lab directory in place after the marker (also KEEP=1)
  --timeout S          total time for all stages (default OCTOLAB_BOOT_TIMEOUT_SECS, 60)
  --marker TEXT        the serial line to wait for (default OCTOLAB_HELLO_MARKER, "Hello, World!")
  --marker-match MODE  line: the marker must be a whole line (default); contains: anywhere in a line,
                       e.g. a "login:" prompt (the kernel's command-line echo never counts)
  --net                attach eth0 to a TAP from microvm-netd (OCTOLAB_MICROVM_NETD_SOCK)
  --json               print the result as JSON
  --env-file PATH      read settings from PATH instead of backend/.env.local

exit codes: 0 the marker was seen (and firecracker exited 0 unless kept), 1 a stage failed,
            130 interrupted (SIGINT/SIGTERM; the lab was torn down), 64 usage, 78 configuration`;

/** Exit code of a boot stopped by SIGINT/SIGTERM (after teardown). */
export const EXIT_INTERRUPTED = 130;

/** What the command takes from outside besides io; tests replace parts of the boot. */
export interface BootCommandDeps {
  host?: Host;
  boot?: Partial<Omit<BootOptions, 'inputs'>>;
}

const TRUTHY = new Set(['1', 'true', 'yes', 'on']);

/** Runs `boot`: config → the staged boot → the result (text or JSON); returns the exit code. */
export async function runBootCommand(io: CliIo, args: readonly string[], deps: BootCommandDeps = {}): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      keep: { type: 'boolean' },
      timeout: { type: 'string' },
      marker: { type: 'string' },
      'marker-match': { type: 'string' },
      net: { type: 'boolean' },
      json: { type: 'boolean' },
      'env-file': { type: 'string' },
    },
    USAGE,
  );
  const timeout = parseSeconds(values.timeout, '--timeout', USAGE);
  const match = values['marker-match'] ?? 'line';
  if (match !== 'line' && match !== 'contains') throw new UsageError({ code: 'USAGE', summary: `--marker-match must be line or contains, got ${JSON.stringify(match)}`, hint: `usage: ${USAGE}` });
  if (values.marker !== undefined && (values.marker === '' || /[\x00-\x1f\x7f]/.test(values.marker))) {
    throw new UsageError({ code: 'USAGE', summary: '--marker must be one line of printable text', hint: `usage: ${USAGE}` });
  }
  const host = deps.host ?? createRealHost(io.env);
  const { config } = await loadConfig({ env: io.env, fs: host.fs, cwd: io.cwd, envFile: values['env-file'] });
  const keep = values.keep === true || TRUTHY.has((io.env.KEEP ?? '').trim().toLowerCase());
  const live = Boolean(io.stdout.isTTY) && !values.json;
  // The netd client loads only for --net: a boot without a network does not pay for it before the spawn.
  const netd = values.net ? createNetdLease((await import('../../netd/client.ts')).createNetdClient({ sockets: host.sockets, socketPath: config.netdSocket, timeoutMs: 10_000 })) : undefined;

  const result = await bootMicroVm({
    inputs: bootInputsFromConfig(config, { marker: values.marker ?? config.helloMarker, markerMatch: match as MarkerMatch, env: io.env }),
    budgetMs: (timeout ?? config.bootTimeoutSecs) * 1000,
    keep,
    signal: io.signal,
    host,
    netd,
    out: live ? (event) => showProgress(io, event) : undefined,
    ...deps.boot,
  });
  io.stdout.write(values.json ? `${JSON.stringify(bootResultToJson(result), null, 2)}\n` : renderBootText(result, { stages: !live }));
  return exitCodeOf(io, result);
}

/** Prints each stage as it ends, with its time (live display on a terminal). */
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
  summary: 'boot the hello microVM and wait for its marker line on the serial console',
  usage: USAGE,
  run: (io, args) => runBootCommand(io, args),
};
