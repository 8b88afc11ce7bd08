/**
 * A full in-process doctor run against a healthy fake host (target: well under 250 ms), with
 * its baseline side by side: the same run with the checks executed one after another. The
 * second group gives every command and socket exchange 5 ms, as spawning `--version` and
 * talking to netd take on a real host; there the concurrent schedule is what pays.
 * Run: npx vitest bench --run --project unit suites/unit/doctor/doctor.bench.ts
 */
import { bench, describe } from 'vitest';
import { healthyScenario, type DoctorScenario } from '../../../fixtures/doctor-hosts.ts';
import { runDoctor } from '../../../lib/doctor/run-doctor.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Gives every process run and socket exchange of the fake host a fixed latency. */
function withLatency(s: DoctorScenario, ms: number): DoctorScenario {
  const run = s.host.proc.run;
  const request = s.host.sockets.unixRequest;
  s.host.proc.run = async (file, args, options) => (await sleep(ms), run(file, args, options));
  s.host.sockets.unixRequest = async (path, payload, options) => (await sleep(ms), request(path, payload, options));
  return s;
}

async function doctorRun(s: DoctorScenario, schedule: 'concurrent' | 'sequential'): Promise<void> {
  const report = await runDoctor({ host: s.host, config: s.config, schedule });
  if (!report.ok) throw new Error(`the healthy fake host failed: ${report.summary}`);
}

describe('doctor on a healthy fake host', () => {
  bench('concurrent checks (the doctor)', () => doctorRun(healthyScenario(), 'concurrent'));
  bench('checks one after another (baseline)', () => doctorRun(healthyScenario(), 'sequential'));
});

describe('doctor on a fake host with 5 ms per command and socket exchange', () => {
  bench('concurrent checks (the doctor)', () => doctorRun(withLatency(healthyScenario(), 5), 'concurrent'), { time: 1000 });
  bench('checks one after another (baseline)', () => doctorRun(withLatency(healthyScenario(), 5), 'sequential'), { time: 1000 });
});
