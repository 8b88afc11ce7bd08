/** The fleet report's inline stylesheet: no fonts, images or anything else fetched. */
export const HTML_STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 1200px; padding: 0 1em; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1em; margin: 1em 0 0.3em; }
.counts { font-weight: 600; }
table.matrix { border-collapse: collapse; display: block; overflow-x: auto; }
.matrix th, .matrix td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: center; white-space: nowrap; }
.matrix th[scope="row"] { text-align: left; }
.cell { font-weight: 600; font-size: 0.85em; padding: 0.1em 0.4em; }
.cell.ok { background: #e3f4e4; color: #1b5e20; }
.cell.warn { background: #fff3cd; color: #7a5400; }
.cell.fail { background: #fde2e1; color: #a31515; }
.cell.skip { background: #eeeeee; color: #555; }
.cell.none { color: #888; }
.verdict.ready { color: #1b5e20; }
.verdict.warnings { color: #7a5400; }
.verdict.not-ready, .verdict.boot-failed, .verdict.tests-failed { color: #a31515; font-weight: 600; }
.legend { color: #555; font-size: 0.9em; }
.problems ul { margin: 0.2em 0 0.8em; padding-left: 1.4em; }
.problems li.fail::marker { color: #a31515; }
.problems li.warn::marker { color: #c68a00; }
.fix { color: #333; margin-left: 1em; font-size: 0.92em; }
ol.stages { list-style: none; margin: 0; padding: 0; }
.stage, .axis { display: grid; grid-template-columns: 10em 1fr 6em; align-items: center; column-gap: 0.6em; }
.stage .name { font-family: ui-monospace, monospace; font-size: 0.85em; overflow: hidden; text-overflow: ellipsis; }
.stage .ms { text-align: right; font-size: 0.85em; color: #444; }
.track { position: relative; height: 1.1em; }
.stage .track { background: repeating-linear-gradient(90deg, #f4f4f4 0, #f4f4f4 1px, transparent 1px, transparent 10%); }
.axis .track { height: 1.3em; border-bottom: 1px solid #999; }
.tick { position: absolute; bottom: 0; font-size: 0.75em; color: #555; transform: translateX(-50%); }
.tick:first-child { transform: none; }
.bar { position: absolute; top: 15%; bottom: 15%; min-width: 3px; border-radius: 2px; }
.bar.passed { background: #43a047; }
.bar.failed { background: #e53935; }
.bar.not-run { background: transparent; border: 1px dashed #888; box-sizing: border-box; }
.bar.stopped { background: #9e9e9e; }
footer { margin-top: 2em; color: #888; font-size: 0.85em; }
`;
