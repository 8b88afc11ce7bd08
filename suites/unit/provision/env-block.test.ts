import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BLOCK_BEGIN, BLOCK_END, formatEnvValue, removeEnvBlocks, replaceEnvBlock, setEnvValue, UPSTREAM_BEGIN, UPSTREAM_END } from '../../../lib/provision/env-block.ts';
import { EnvBlockError } from '../../../lib/provision/errors.ts';
import { rollbackEnvText } from '../../../lib/provision/rollback.ts';
import { parseEnvFile } from '../../../lib/config/env-file.ts';

const ENTRIES: Array<[string, string]> = [
  ['OCTOLAB_RUNTIME', 'firecracker'],
  ['OCTOLAB_MICROVM_STATE_DIR', '/var/lib/octolab/microvm'],
];
const BLOCK = `${BLOCK_BEGIN}\nOCTOLAB_RUNTIME=firecracker\nOCTOLAB_MICROVM_STATE_DIR=/var/lib/octolab/microvm\n${BLOCK_END}\n`;
const UPSTREAM_BLOCK = `${UPSTREAM_BEGIN}\nOCTOLAB_RUNTIME=firecracker\nOCTOLAB_MICROVM_KERNEL_PATH=/old/vmlinux\n${UPSTREAM_END}\n`;

describe('writing the configuration block', () => {
  it('appends the block after a blank line and keeps every foreign line as it was', () => {
    const before = 'DATABASE_URL=postgres://db\n# a comment\nSECRET_KEY="x y"\n';
    const edit = replaceEnvBlock(before, ENTRIES);
    expect(edit.text).toBe(`${before}\n${BLOCK}`);
    expect(edit.removed).toEqual([]);
  });

  it.each([
    ['the ### form', BLOCK, 'seed'],
    ["upstream's # form", UPSTREAM_BLOCK, 'upstream'],
  ])('replaces an earlier block in %s, wherever it sits, keeping the lines around it', (_name, block, form) => {
    const before = `A=1\n${block}B=2\n`;
    const edit = replaceEnvBlock(before, ENTRIES);
    expect(edit.text).toBe(`A=1\nB=2\n\n${BLOCK}`);
    expect(edit.removed).toEqual([{ form, beginLine: 2, endLine: 5 }]);
    expect(edit.text).not.toContain('/old/vmlinux');
  });

  it('replaces blocks of both forms at once and leaves exactly one', () => {
    const edit = replaceEnvBlock(`${UPSTREAM_BLOCK}KEEP=1\n${BLOCK}`, ENTRIES);
    expect(edit.removed.map((b) => b.form)).toEqual(['upstream', 'seed']);
    expect(edit.text.split(BLOCK_BEGIN)).toHaveLength(2);
    expect(edit.text.startsWith('KEEP=1\n\n')).toBe(true);
  });

  it('writes an empty file as the block alone, and a rerun changes nothing', () => {
    const first = replaceEnvBlock('', ENTRIES);
    expect(first.text).toBe(BLOCK);
    const second = replaceEnvBlock(first.text, ENTRIES);
    expect(second).toMatchObject({ text: first.text, changed: false });
  });

  it('keeps CRLF line endings, writes the block with CRLF, and leaves LF lines of a mixed file as they were', () => {
    const before = 'A=1\r\nB=2\r\nC=3\n';
    const edit = replaceEnvBlock(before, ENTRIES);
    expect(edit.text.startsWith('A=1\r\nB=2\r\nC=3\n\r\n')).toBe(true);
    expect(edit.text).toContain(`${BLOCK_BEGIN}\r\nOCTOLAB_RUNTIME=firecracker\r\n`);
    expect(removeEnvBlocks(edit.text).text).toBe('A=1\r\nB=2\r\nC=3\n\r\n');
  });

  it('gives a last line without a line ending one before appending', () => {
    expect(replaceEnvBlock('A=1', ENTRIES).text).toBe(`A=1\n\n${BLOCK}`);
  });

  it.each([
    ['a begin marker without an end', `A=1\n${BLOCK_BEGIN}\nX=1\n`, /:2: the block opened here/],
    ['an end marker without a begin', `A=1\n${UPSTREAM_END}\n`, /:2: an end marker without a begin/],
    ['a block opened inside another', `${BLOCK_BEGIN}\n${UPSTREAM_BEGIN}\n${BLOCK_END}\n`, /:2: a begin marker inside the block opened on line 1/],
    ['a block closed by the other form', `${BLOCK_BEGIN}\nX=1\n${UPSTREAM_END}\n`, /:3: the block opened on line 1 is closed by the other marker form/],
  ])('refuses %s with the line number instead of guessing', (_name, text, message) => {
    expect(() => replaceEnvBlock(text, ENTRIES, 'backend/.env.local')).toThrow(EnvBlockError);
    expect(() => replaceEnvBlock(text, ENTRIES, 'backend/.env.local')).toThrow(message);
  });

  it('quotes values the env parser would otherwise misread, and the config reader gets them back', () => {
    const values = ['/plain/path', '/with space/x', 'has#hash', 'quote"and\\slash'];
    const edit = replaceEnvBlock('', values.map((v, i) => [`K${i}`, v] as [string, string]));
    const parsed = parseEnvFile(edit.text, 'test');
    expect(parsed.map((e) => e.value)).toEqual(values);
    expect(() => formatEnvValue('a\nb')).toThrow(/line break/);
  });

  it('keeps any foreign text byte for byte, whatever it holds, when the block is written and removed again', () => {
    const line = fc.string({ maxLength: 30 }).filter((s) => !/[\r\n]/.test(s) && !s.includes('OCTOLAB MICROVM') && !s.includes('OCTOLAB_MICROVM') && !/^\s*(export\s+)?OCTOLAB_RUNTIME\s*=/.test(s));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.constantFrom('\n', '\r\n'), (lines, eol) => {
        const text = lines.length === 0 ? '' : lines.join(eol) + eol;
        const written = replaceEnvBlock(text, ENTRIES).text;
        const kept = removeEnvBlocks(written).text;
        // What remains is the original plus at most the one separating blank line.
        expect([text, `${text}${eol}`]).toContain(kept);
      }),
    );
  });
});

describe('rolling the block back', () => {
  it.each([
    ['the ### form', BLOCK],
    ["upstream's # form (which the seed's sed misses)", UPSTREAM_BLOCK],
  ])('removes a block in %s and sets OCTOLAB_RUNTIME=compose, keeping foreign lines', (_name, block) => {
    const edit = rollbackEnvText(`DATABASE_URL=x\n${block}SECRET_KEY=y\n`, '.env.local');
    expect(edit.text).toBe('DATABASE_URL=x\nSECRET_KEY=y\nOCTOLAB_RUNTIME=compose\n');
    expect(edit.removed).toHaveLength(1);
  });

  it('rewrites an existing OCTOLAB_RUNTIME line instead of adding a second one, so a rerun changes nothing', () => {
    const first = rollbackEnvText('export OCTOLAB_RUNTIME=firecracker\nA=1\n', '.env.local');
    expect(first.text).toBe('export OCTOLAB_RUNTIME=compose\nA=1\n');
    expect(rollbackEnvText(first.text, '.env.local').changed).toBe(false);
  });

  it('leaves look-alike keys alone', () => {
    expect(setEnvValue('OCTOLAB_RUNTIME_X=1\n#OCTOLAB_RUNTIME=firecracker\n', 'OCTOLAB_RUNTIME', 'compose').text).toBe(
      'OCTOLAB_RUNTIME_X=1\n#OCTOLAB_RUNTIME=firecracker\nOCTOLAB_RUNTIME=compose\n',
    );
  });
});
