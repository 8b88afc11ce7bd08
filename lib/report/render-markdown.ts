import { clip } from '../doctor/verdict.ts';
import { VERDICT_TEXT, type CellStatus, type FleetHost, type FleetView, type HostVerdict } from './fleet.ts';

/** The symbol of each cell status in the matrix. */
export const CELL_SYMBOL: Record<CellStatus, string> = { ok: '✅', warn: '⚠️', fail: '❌', skip: '⏭️', none: '—' };

const VERDICT_SYMBOL: Record<HostVerdict, string> = { 'not-ready': '❌', 'boot-failed': '❌', 'tests-failed': '❌', warnings: '⚠️', ready: '✅', unknown: '❔' };

/** Makes text safe inside a Markdown table cell or list item: one line, no table pipes, no HTML. */
export function mdText(text: string, max = 300): string {
  return clip(text, max).replaceAll('\\', '\\\\').replaceAll('|', '\\|').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** "3 hosts: 1 ready, 1 not ready, 1 boot failed" (verdicts worst first, only those present). */
export function renderCountsLine(view: FleetView): string {
  const parts = (Object.keys(view.counts) as HostVerdict[]).filter((v) => view.counts[v] > 0).map((v) => `${view.counts[v]} ${VERDICT_TEXT[v]}`);
  return `${view.hosts.length} host${view.hosts.length === 1 ? '' : 's'}: ${parts.join(', ') || 'none'}`;
}

function testsCell(host: FleetHost): string {
  if (!host.tests) return CELL_SYMBOL.none;
  const { passed, failed, skipped } = host.tests;
  return `${failed > 0 ? CELL_SYMBOL.fail : CELL_SYMBOL.ok} ${passed} passed, ${failed} failed, ${skipped} skipped`;
}

function matrix(view: FleetView): string[] {
  const head = ['host', 'verdict', ...view.checks.map((c) => `\`${mdText(c, 40)}\``), 'boot', 'tests'];
  const lines = [`| ${head.join(' | ')} |`, `| ${head.map((_h, i) => (i < 2 ? '---' : ':-:')).join(' | ')} |`];
  for (const host of view.hosts) {
    const cells = view.checks.map((c) => CELL_SYMBOL[host.cells[c]?.status ?? 'none']);
    const boot = host.boot.status === 'none' ? CELL_SYMBOL.none : `${CELL_SYMBOL[host.boot.status]} ${mdText(host.boot.details, 60)}`;
    lines.push(`| ${[`**${mdText(host.name, 80)}**`, `${VERDICT_SYMBOL[host.verdict]} ${VERDICT_TEXT[host.verdict]}`, ...cells, boot, testsCell(host)].join(' | ')} |`);
  }
  return lines;
}

function problems(view: FleetView): string[] {
  const lines = ['## What to fix', ''];
  const withProblems = view.hosts.filter((h) => h.problems.length > 0);
  if (withProblems.length === 0) return [...lines, 'Nothing: no check failed or warned, no boot or test failed.'];
  for (const host of withProblems) {
    lines.push(`### ${mdText(host.name, 80)}: ${VERDICT_TEXT[host.verdict]}`, '');
    if (host.summary) lines.push(mdText(host.summary), '');
    for (const p of host.problems) {
      lines.push(`- ${CELL_SYMBOL[p.severity]} **${mdText(p.subject, 200)}**: ${mdText(p.details)}`);
      if (p.fix) lines.push(`  - fix: ${mdText(p.fix, 600)}`);
    }
    lines.push('');
  }
  return lines;
}

function boots(view: FleetView): string[] {
  const rows = view.hosts.flatMap((h) => h.timelines.map((t) => ({ host: h.name, t })));
  if (rows.length === 0) return [];
  const lines = ['## Timelines', '', '| host | run | total | slowest stage |', '| --- | --- | ---: | --- |'];
  for (const { host, t } of rows) {
    const slowest = [...t.stages].sort((a, b) => b.duration_ms - a.duration_ms)[0];
    const slow = slowest ? `${mdText(slowest.name, 40)} (${(slowest.duration_ms / 1000).toFixed(2)} s)` : '—';
    lines.push(`| ${mdText(host, 80)} | ${t.ok ? CELL_SYMBOL.ok : CELL_SYMBOL.fail} ${mdText(t.title, 120)} | ${(t.totalMs / 1000).toFixed(2)} s | ${slow} |`);
  }
  return [...lines, ''];
}

/**
 * Renders the fleet view as Markdown for $GITHUB_STEP_SUMMARY (or a file): the counts, the hosts ×
 * checks matrix with each host's verdict, boot and tests, then per host what failed or warned with
 * its fix, then the runs' timelines. Pure.
 */
export function renderFleetMarkdown(view: FleetView, options: { title?: string } = {}): string {
  const lines = [
    `# ${mdText(options.title ?? 'OctoLab fleet report', 200)}`,
    '',
    `**${renderCountsLine(view)}**`,
    '',
    ...matrix(view),
    '',
    `${CELL_SYMBOL.ok} passed · ${CELL_SYMBOL.warn} warning · ${CELL_SYMBOL.fail} failed · ${CELL_SYMBOL.skip} skipped (a check it needs failed) · ${CELL_SYMBOL.none} not reported`,
    '',
    ...problems(view),
    '',
    ...boots(view),
  ];
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
