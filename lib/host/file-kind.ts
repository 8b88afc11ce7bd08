import type { Stats } from 'node:fs';
import type { FileKind } from './types.ts';

/** The kind of file a stat (or lstat) answer describes. */
export function kindOf(stats: Stats): FileKind {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isCharacterDevice()) return 'char-device';
  if (stats.isBlockDevice()) return 'block-device';
  if (stats.isSocket()) return 'socket';
  if (stats.isFIFO()) return 'fifo';
  return 'symlink';
}
