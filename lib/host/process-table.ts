import { promises as fs } from 'node:fs';
import { errnoOf } from '../errors.ts';
import type { ProcessEntry, ProcessTable } from '../provision/ports.ts';
import { hostErrorFrom } from './host-error.ts';

/** USER_HZ: the unit of /proc/<pid>/stat times; 100 on every Linux architecture userspace sees. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Returns the process state letter and start time (ticks since boot) from /proc/<pid>/stat text. */
export function parseProcStat(text: string): { state: string; startTicks: number } | null {
  // The command name (field 2) may contain spaces and parentheses: fields resume after the LAST ')'.
  const close = text.lastIndexOf(')');
  if (close === -1) return null;
  const fields = text.slice(close + 2).trim().split(/\s+/);
  const startTicks = Number(fields[19]);
  if (!fields[0] || !Number.isSafeInteger(startTicks)) return null;
  return { state: fields[0], startTicks };
}

/** Returns the boot time (epoch ms) from /proc/stat text, or null. */
export function parseBootTime(text: string): number | null {
  const match = /^btime\s+(\d+)$/m.exec(text);
  return match ? Number(match[1]) * 1000 : null;
}

/** The real process table, read from /proc (never by process name: callers match on argv). */
export function createProcessTable(procRoot = '/proc'): ProcessTable {
  let bootTimeMs: number | null | undefined;

  async function readOptional(file: string): Promise<string | null> {
    try {
      return await fs.readFile(file, 'utf8');
    } catch (error) {
      const errno = errnoOf(error);
      if (errno === 'ENOENT' || errno === 'ESRCH') return null;
      throw hostErrorFrom(error, `read ${file}`);
    }
  }

  async function read(pid: number): Promise<ProcessEntry | null> {
    const statText = await readOptional(`${procRoot}/${pid}/stat`);
    const stat = statText === null ? null : parseProcStat(statText);
    if (!stat || stat.state === 'Z' || stat.state === 'X') return null;
    const cmdline = await readOptional(`${procRoot}/${pid}/cmdline`);
    if (cmdline === null) return null;
    const argv = cmdline.split('\0');
    if (argv.at(-1) === '') argv.pop();
    bootTimeMs ??= parseBootTime((await readOptional(`${procRoot}/stat`)) ?? '');
    const startedAtMs = bootTimeMs === null ? null : bootTimeMs + (stat.startTicks * 1000) / CLOCK_TICKS_PER_SECOND;
    return { pid, argv, startedAtMs };
  }

  return {
    read,
    async list() {
      let names: string[];
      try {
        names = await fs.readdir(procRoot);
      } catch (error) {
        throw hostErrorFrom(error, `list ${procRoot}`);
      }
      const entries: ProcessEntry[] = [];
      for (const name of names) {
        if (!/^\d+$/.test(name)) continue;
        const entry = await read(Number(name));
        if (entry) entries.push(entry);
      }
      return entries;
    },
    async signal(pid, signal) {
      if (!Number.isSafeInteger(pid) || pid <= 1 || pid === process.pid) throw new RangeError(`refusing to signal pid ${pid}`);
      try {
        process.kill(pid, signal);
        return true;
      } catch (error) {
        if (errnoOf(error) === 'ESRCH') return false;
        throw hostErrorFrom(error, `kill -${signal} ${pid}`);
      }
    },
  };
}
