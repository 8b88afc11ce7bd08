import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { withDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { bodyValidators, renderPrecompiledModule } from '../../../fixtures/fake-firecracker/body-validators.ts';
import { RUST_STRUCTS } from '../../../fixtures/fake-firecracker/rust-types.ts';

// The built fake checks bodies with validators compiled at build time (ajv standalone code); the
// unit tests of the body checks run the ones compiled at run time. Both must judge alike.

type Validator = ValidateFunction | ((value: unknown) => boolean) & { errors?: ErrorObject[] | null };

/** Imports the rendered module from a temp file (it must need nothing from node_modules); rendered once per file. */
let rendered: Promise<Map<string, Validator>> | undefined;
function precompiled(): Promise<Map<string, Validator>> {
  return (rendered ??= withDir(
    async ({ path: dir }) => {
      const file = path.join(dir, 'body-validators.mjs');
      await fs.writeFile(file, renderPrecompiledModule());
      const module = (await import(pathToFileURL(file).href)) as { bodyValidators(): Map<string, Validator> };
      return module.bodyValidators();
    },
    { unsafeCleanup: true },
  ));
}

/** What a validator says about `value`: valid or not, and each error's keyword, place and parameters. */
function verdict(validate: Validator, value: unknown) {
  const ok = validate(value);
  return { ok, errors: ok ? [] : (validate.errors ?? []).map((e) => ({ keyword: e.keyword, instancePath: e.instancePath, schemaPath: e.schemaPath, params: e.params })) };
}

/** Bodies near the struct's shape: its own fields (some left out) with arbitrary JSON values, plus stray keys. */
const bodyFor = (name: string) => {
  const fields = RUST_STRUCTS[name === 'MachineConfigurationPatch' ? 'MachineConfiguration' : name]!.fields.map(([field]) => field);
  return fc.oneof(
    fc.dictionary(fc.constantFrom(...fields, 'unknown_field'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: fields.length + 1 }),
    fc.jsonValue({ maxDepth: 1 }),
  );
};

describe('the fake Firecracker’s precompiled body validators', () => {
  it('cover the same bodies as the ones compiled at run time', async () => {
    expect([...(await precompiled()).keys()].sort()).toEqual([...bodyValidators().keys()].sort());
  });

  it('judge every generated body exactly as the run-time ones do, errors included', { tags: ['fuzz'] }, async () => {
    const built = await precompiled();
    const runtime = bodyValidators();
    for (const name of runtime.keys()) {
      fc.assert(
        fc.property(bodyFor(name), (body) => {
          expect(verdict(built.get(name)!, body)).toEqual(verdict(runtime.get(name)!, body));
        }),
        { numRuns: 200 },
      );
    }
  });
});
