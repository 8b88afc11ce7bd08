import { clip } from '../doctor/verdict.ts';
import { TOOL_NAME, TOOL_VERSION } from '../version.ts';
import { timelineEnd, VERDICT_TEXT, type CellStatus, type CheckCell, type FleetHost, type FleetView, type TimelineView } from './fleet.ts';
import { renderCountsLine } from './render-markdown.ts';
import { HTML_STYLE } from './html-style.ts';
import { axisTicks, formatMs, layoutBars } from './waterfall.ts';

/** Escapes text for HTML content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

/** The label a matrix cell shows for each status. */
export const CELL_LABEL: Record<CellStatus, string> = { ok: 'OK', warn: 'WARN', fail: 'FAIL', skip: 'SKIP', none: '—' };

function cell(c: CheckCell, attrs: string): string {
  const title = [c.details, c.hint && `fix: ${c.hint}`].filter(Boolean).join('\n');
  return `<td class="cell ${c.status}" data-status="${c.status}" ${attrs} title="${escapeHtml(clip(title.replace(/\n/g, ' — '), 600))}">${CELL_LABEL[c.status]}</td>`;
}

function matrix(view: FleetView): string {
  const head = ['<th scope="col">host</th>', '<th scope="col">verdict</th>', ...view.checks.map((c) => `<th scope="col" data-check="${escapeHtml(c)}">${escapeHtml(c)}</th>`), '<th scope="col">boot</th>', '<th scope="col">tests</th>'];
  const rows = view.hosts.map((host) => {
    const checks = view.checks.map((c) => cell(host.cells[c] ?? { status: 'none', details: 'not reported', hint: '' }, `data-check="${escapeHtml(c)}"`));
    const tests = host.tests ? `${host.tests.passed} passed, ${host.tests.failed} failed, ${host.tests.skipped} skipped` : '—';
    const testsStatus = host.tests ? (host.tests.failed > 0 ? 'fail' : 'ok') : 'none';
    return `<tr data-host="${escapeHtml(host.name)}"><th scope="row">${escapeHtml(host.name)}</th><td class="verdict ${host.verdict}" data-verdict="${host.verdict}">${VERDICT_TEXT[host.verdict]}</td>${checks.join('')}${cell(host.boot, 'data-check="boot"')}<td class="cell ${testsStatus}" data-status="${testsStatus}" data-check="tests">${tests}</td></tr>`;
  });
  return `<table class="matrix"><thead><tr>${head.join('')}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table>`;
}

function problems(host: FleetHost): string {
  if (host.problems.length === 0) return '';
  const items = host.problems.map((p) => `<li class="${p.severity}"><strong>${escapeHtml(p.subject)}</strong>: ${escapeHtml(clip(p.details, 600))}${p.fix ? `<div class="fix">fix: ${escapeHtml(clip(p.fix, 1000))}</div>` : ''}</li>`);
  return `<section class="problems" data-host="${escapeHtml(host.name)}"><h3>${escapeHtml(host.name)}: ${VERDICT_TEXT[host.verdict]}</h3>${host.summary ? `<p>${escapeHtml(host.summary)}</p>` : ''}<ul>${items.join('')}</ul></section>`;
}

function axis(axisMs: number): string {
  const ticks = axisTicks(axisMs).map((t) => `<span class="tick" style="left:${t.pct.toFixed(3)}%">${t.label}</span>`);
  return `<li class="axis" aria-hidden="true"><span class="name"></span><span class="track">${ticks.join('')}</span><span class="ms"></span></li>`;
}

function waterfall(host: FleetHost, timeline: TimelineView, axisMs: number): string {
  const bars = layoutBars(timeline.stages, axisMs, timelineEnd(timeline)).map(({ stage, leftPct, widthPct }) => {
    const when = stage.start_ms === null ? 'not run' : `${formatMs(stage.duration_ms)} from ${formatMs(stage.start_ms)}`;
    return `<li class="stage" data-stage="${escapeHtml(stage.name)}" data-status="${stage.status}"><span class="name">${escapeHtml(stage.name)}</span><span class="track"><span class="bar ${stage.status}" style="left:${leftPct.toFixed(3)}%;width:${widthPct.toFixed(3)}%" title="${escapeHtml(`${stage.title}: ${when}`)}"></span></span><span class="ms">${stage.start_ms === null ? 'not run' : formatMs(stage.duration_ms)}</span></li>`;
  });
  return `<section class="timeline" data-host="${escapeHtml(host.name)}" data-file="${escapeHtml(timeline.file)}"><h3>${escapeHtml(host.name)}: ${escapeHtml(timeline.title)}, ${formatMs(timeline.totalMs)}</h3><ol class="stages">${axis(axisMs)}${bars.join('')}</ol></section>`;
}

/**
 * Renders the fleet view as one self-contained HTML page: inline CSS, no script, no external
 * resource, readable without JavaScript. It holds the hosts × checks matrix (each cell's details
 * and fix in its title), what to fix per host, and each run's stage waterfall on one time axis
 * shared by every run. Pure.
 */
export function renderFleetHtml(view: FleetView, options: { title?: string } = {}): string {
  const title = escapeHtml(options.title ?? 'OctoLab fleet report');
  const fixes = view.hosts.map(problems).filter(Boolean);
  const timelines = view.hosts.flatMap((h) => h.timelines.map((t) => waterfall(h, t, view.axisMs)));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${TOOL_NAME} ${TOOL_VERSION}">
<title>${title}</title>
<style>${HTML_STYLE}</style>
</head>
<body>
<h1>${title}</h1>
<p class="counts">${escapeHtml(renderCountsLine(view))}</p>
<h2>Hosts × checks</h2>
${matrix(view)}
<p class="legend"><span class="cell ok">OK</span> passed <span class="cell warn">WARN</span> warning <span class="cell fail">FAIL</span> failed <span class="cell skip">SKIP</span> skipped (a check it needs failed) <span class="cell none">—</span> not reported; hover a cell for its details and fix</p>
<h2>What to fix</h2>
${fixes.length > 0 ? fixes.join('\n') : '<p>Nothing: no check failed or warned, no boot or test failed.</p>'}
<h2>Timelines</h2>
${timelines.length > 0 ? `<p class="legend">One bar per stage on a time axis shared by every run (0 to ${formatMs(view.axisMs)}).</p>\n${timelines.join('\n')}` : '<p>No boot or verify result was given.</p>'}
<footer>${TOOL_NAME} ${TOOL_VERSION}</footer>
</body>
</html>
`;
}
