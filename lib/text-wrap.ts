/**
 * Word wrapping for text meant for people (help texts, the doctor's fixes): breaks at spaces,
 * never inside a word or a `code span`, so a command in a hint stays copyable in one piece.
 */

/** Wraps `text` into lines of at most `width` columns (a longer unbreakable piece gets a line of its own). Pure. */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const piece of splitKeepingCode(text)) {
    if (line === '') line = piece;
    else if (line.length + 1 + piece.length <= width) line += ` ${piece}`;
    else {
      lines.push(line);
      line = piece;
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}

/** Wraps and indents: the first line after `first`, the rest after as many spaces as `first` is long. Pure. */
export function wrapIndented(first: string, text: string, width: number): string[] {
  const pad = ' '.repeat(first.length);
  const body = wrapText(text, Math.max(20, width - first.length));
  return body.map((line, index) => `${index === 0 ? first : pad}${line}`);
}

/** Splits at spaces outside backticks: `sudo modprobe kvm_intel` stays one piece. */
function splitKeepingCode(text: string): string[] {
  const pieces: string[] = [];
  let current = '';
  let inCode = false;
  for (const ch of text) {
    if (ch === '`') inCode = !inCode;
    if (ch === ' ' && !inCode) {
      if (current !== '') pieces.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  if (current !== '') pieces.push(current);
  return pieces;
}
