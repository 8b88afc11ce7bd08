/**
 * Reads JUnit XML back: counts passed, failed and skipped test cases, and lists each case with
 * its status and message (a skip's reason, a failure's message). Works on the files this project
 * writes (vitest's projects, the doctor, CI steps); not a general XML parser.
 */

/** Counts of one or more JUnit documents. */
export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/** One test case as read back from JUnit. */
export interface CaseOutcome {
  name: string;
  classname: string;
  status: 'passed' | 'failed' | 'skipped';
  /** The failure's or skip's message attribute; empty when there is none. */
  message: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#x[0-9a-fA-F]+|#\d+);/g, (whole: string, entity: string) => {
    if (!entity.startsWith('#')) return ENTITIES[entity]!;
    const code = entity.startsWith('#x') ? Number.parseInt(entity.slice(2), 16) : Number(entity.slice(1));
    // Beyond Unicode (or not a number at all): not a character, so the text stays as written.
    return Number.isSafeInteger(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

function attribute(tag: string, name: string): string {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return match ? unescapeXml(match[1]!) : '';
}

/** Returns the index of the `>` that ends the tag starting `text` ('>' may stand inside quoted attributes). */
function tagEnd(text: string): number {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '>') {
      return i;
    }
  }
  return text.length - 1;
}

/** Returns the first `<failure|error|skipped …>` tag in a case's body, or null. */
function firstTag(body: string, names: RegExp): string | null {
  const match = names.exec(body);
  if (!match) return null;
  const rest = body.slice(match.index);
  return rest.slice(0, tagEnd(rest) + 1);
}

/** Lists every test case of one JUnit document: failure/error → failed, skipped → skipped. */
export function listCases(xml: string): CaseOutcome[] {
  const outcomes: CaseOutcome[] = [];
  for (const raw of xml.split(/<testcase(?=[\s>])/).slice(1)) {
    const openEnd = tagEnd(raw);
    const open = raw.slice(0, openEnd + 1);
    // A case ends at "/>" (self-closing) or at its closing tag; nothing after it belongs to it.
    const closing = raw.indexOf('</testcase>');
    const body = open.endsWith('/>') ? '' : raw.slice(openEnd + 1, closing >= 0 ? closing : raw.length);
    const failure = firstTag(body, /<(failure|error)(?=[\s>/])/);
    const skipped = firstTag(body, /<skipped(?=[\s>/])/);
    const status = failure ? 'failed' : skipped ? 'skipped' : 'passed';
    const detail = failure ?? skipped ?? '';
    outcomes.push({ name: attribute(open, 'name'), classname: attribute(open, 'classname'), status, message: attribute(detail, 'message') });
  }
  return outcomes;
}

/** Counts the test cases of one JUnit XML document. */
export function countJUnit(xml: string): Counts {
  const counts: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const outcome of listCases(xml)) counts[outcome.status]++;
  return counts;
}

/** Renders the closing line CI reads. */
export function renderClosingLine(counts: Counts): string {
  return `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
}
