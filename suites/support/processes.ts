import { promises as fs } from 'node:fs';

/**
 * What process `pid` is while it is alive (its command line), or null once it has ended or is a
 * zombie waiting to be reaped. Host tests ask this only about pids they started themselves, never
 * by scanning the machine's process table for a name that anyone else may be running too.
 */
export async function liveProcess(pid: number): Promise<string | null> {
  let stat: string;
  try {
    stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The state letter follows the command name in parentheses, which may itself hold spaces or parentheses.
  if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return null;
  const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.split('\0').filter(Boolean).join(' ') || `pid ${pid}`;
}
