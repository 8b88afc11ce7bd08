import path from 'node:path';
import { HostError } from '../errors.ts';
import { classifyReport, inputError, type ReportDocument } from './classify.ts';
import type { ReportFiles } from './ports.ts';

/** One host's reports: its name (the directory they came from) and the documents read. */
export interface HostInput {
  name: string;
  documents: ReportDocument[];
}

/** A report file read for the fleet view may be at most this large (a host suite's JUnit is a few hundred KiB). */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

const REPORT_FILE = /\.(json|xml)$/i;
const WHAT_TO_GIVE = "give a directory of one host's reports, a directory of such directories (e.g. downloaded CI artifacts), or report files";

async function readDocument(files: ReportFiles, shown: string, absolute: string): Promise<ReportDocument> {
  let text: string;
  try {
    text = await files.read(absolute, MAX_INPUT_BYTES);
  } catch (error) {
    if (error instanceof RangeError) throw inputError(shown, `is larger than ${MAX_INPUT_BYTES} bytes: not a report this tool wrote`, 'leave it out');
    const why = error instanceof HostError ? (error.errno ?? error.summary) : String(error);
    throw inputError(shown, `cannot be read (${why})`, 'check that it exists and that this user may read it (artifacts written by root: sudo chown, or run report with sudo)');
  }
  return classifyReport(shown, text);
}

/** The report files directly in `dir` (names ending .json or .xml that are files), sorted. */
async function reportFilesIn(files: ReportFiles, dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await files.list(dir)) if (REPORT_FILE.test(name) && (await files.kind(path.join(dir, name))) === 'file') found.push(name);
  return found;
}

/**
 * Gathers hosts from the command line's paths: a directory holding report files is one host (named
 * after the directory); a directory holding none is searched one level down, each subdirectory
 * with report files being a host (CI artifacts downloaded side by side); a file belongs to the host
 * of its directory. Names are kept unique. Problems are UsageErrors naming the path and the fix.
 */
export async function collectHosts(paths: readonly string[], files: ReportFiles, cwd: string): Promise<HostInput[]> {
  if (paths.length === 0) throw inputError('report', 'no inputs given', WHAT_TO_GIVE);
  const byDir = new Map<string, { shown: string; documents: ReportDocument[] }>();
  const add = async (dirAbsolute: string, dirShown: string, fileShown: string, fileAbsolute: string) => {
    const entry = byDir.get(dirAbsolute) ?? { shown: dirShown, documents: [] };
    byDir.set(dirAbsolute, entry);
    if (entry.documents.some((d) => d.file === fileShown)) return;
    entry.documents.push(await readDocument(files, fileShown, fileAbsolute));
  };
  for (const given of paths) {
    const absolute = path.resolve(cwd, given);
    const kind = await files.kind(absolute);
    if (kind === 'missing') throw inputError(given, 'does not exist', WHAT_TO_GIVE);
    if (kind === 'other') throw inputError(given, 'is neither a file nor a directory', WHAT_TO_GIVE);
    if (kind === 'file') {
      await add(path.dirname(absolute), path.dirname(given), given, absolute);
      continue;
    }
    const own = await reportFilesIn(files, absolute);
    if (own.length > 0) {
      for (const name of own) await add(absolute, given, path.join(given, name), path.join(absolute, name));
      continue;
    }
    let hosts = 0;
    for (const name of await files.list(absolute)) {
      const sub = path.join(absolute, name);
      if ((await files.kind(sub)) !== 'directory') continue;
      const inSub = await reportFilesIn(files, sub);
      for (const file of inSub) await add(sub, path.join(given, name), path.join(given, name, file), path.join(sub, file));
      if (inSub.length > 0) hosts++;
    }
    if (hosts === 0) throw inputError(given, 'holds no report files (*.json, *.xml), and none of its directories does', WHAT_TO_GIVE);
  }
  return uniqueNames([...byDir.entries()].map(([absolute, entry]) => ({ absolute, ...entry })));
}

/** Names each host after its directory; a name seen before gets its directory path as given instead. */
function uniqueNames(entries: Array<{ absolute: string; shown: string; documents: ReportDocument[] }>): HostInput[] {
  const seen = new Set<string>();
  return entries.map(({ absolute, shown, documents }) => {
    const base = path.basename(absolute) || absolute;
    const name = seen.has(base) ? shown : base;
    seen.add(name);
    return { name, documents };
  });
}
