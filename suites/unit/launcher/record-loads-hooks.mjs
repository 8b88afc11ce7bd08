// The module.register hooks of record-loads.mjs: appends `import <url>` for every resolved ES module.
import { appendFileSync } from 'node:fs';

let out;

export function initialize(data) {
  out = data.out;
}

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(out, `import ${resolved.url}\n`);
  return resolved;
}
