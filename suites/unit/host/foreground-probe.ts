/**
 * A parent process for foreground.test.ts: runs a child through runForeground with
 * stdoutToStderr, then writes "parent stdout" to its own stdout. The test reads both streams of
 * this process: the child's line must arrive on stderr only.
 */
import { runForeground } from '../../../lib/host/foreground.ts';

await runForeground(process.execPath, ['-e', 'console.log("from the child")'], { cwd: '/', env: { PATH: process.env.PATH }, stdoutToStderr: true });
console.log('parent stdout');
