import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkBody, expectedOneOf } from '../../../fixtures/fake-firecracker/body-schema.ts';
import { loadDefinitions } from '../../../fixtures/fake-firecracker/body-validators.ts';
import { parseSerdeJson, renderF64, renderSerdeError, SerdeError } from '../../../fixtures/fake-firecracker/serde-json.ts';

const PREFIX = 'An error occurred when deserializing the json body of a request: ';
const fault = (name: string, body: string) => {
  const result = checkBody(name, Buffer.from(body));
  return result.ok ? null : result.fault.slice(PREFIX.length);
};

describe('FakeFirecracker’s body checks (spec + serde)', () => {
  it('loads every body definition from the v1.7.0 spec file and checks the Rust field table against it', () => {
    const definitions = loadDefinitions();
    expect(definitions.MachineConfiguration).toMatchObject({ additionalProperties: false, required: ['mem_size_mib', 'vcpu_count'] });
    expect(definitions.Metrics).not.toHaveProperty('additionalProperties');
  });

  it.each([
    ['MachineConfiguration', '{"mem_size_mib": 128}', 'missing field `vcpu_count` at line 1 column 21.'],
    ['MachineConfiguration', '', 'EOF while parsing a value at line 1 column 0.'],
    ['MachineConfiguration', '{"vcpu_count": "2", "mem_size_mib": 128}', 'invalid type: string "2", expected u8 at line 1 column 18.'],
    ['MachineConfiguration', '{"vcpu_count": 1.5, "mem_size_mib": 128}', 'invalid type: floating point `1.5`, expected u8 at line 1 column 18.'],
    ['MachineConfiguration', '{"vcpu_count": 1, "mem_size_mib": 128, "smt": "no"}', 'invalid type: string "no", expected a boolean at line 1 column 50.'],
    ['MachineConfiguration', '{"vcpu_count":1,"mem_size_mib":128,"vcpu_count":2}', 'duplicate field `vcpu_count` at line 1 column 47.'],
    ['MachineConfiguration', '{"vcpu_count":1,}', 'trailing comma at line 1 column 17.'],
    ['MachineConfiguration', '{"vcpu_count":1} x', 'trailing characters at line 1 column 18.'],
    ['MachineConfiguration', '{\n  "vcpu_count": 1,\n  "ht_enabled": false\n}', 'unknown field `ht_enabled`, expected one of `vcpu_count`, `mem_size_mib`, `smt`, `cpu_template`, `track_dirty_pages`, `huge_pages` at line 3 column 14.'],
    ['BootSource', '{"kernel_image_path": 5}', 'invalid type: integer `5`, expected a string at line 1 column 23.'],
    ['BootSource', '{"kernel_image_path": "/k", "initrd_path": null}', null],
    ['Drive', '{"drive_id":"r","is_root_device":true,"cache_type":"X"}', 'unknown variant `X`, expected `Unsafe` or `Writeback` at line 1 column 54.'],
    ['Drive', '{"drive_id":"r","is_root_device":null}', 'invalid type: null, expected a boolean at line 1 column 37.'],
    ['Drive', '{"drive_id":"r","is_root_device":true,"rate_limiter":{"ops":{"size":1}}}', 'missing field `refill_time` at line 1 column 70.'],
    ['Logger', '{"level": "warning"}', null],
    ['Logger', '{"level": "DEBUG", "log_path": "/x"}', null],
    ['Metrics', '{"metrics_path": "/m", "whatever": 1}', null],
    ['InstanceActionInfo', '{"action_type": 3}', 'expected value at line 1 column 17.'],
    ['InstanceActionInfo', '[]', 'invalid type: sequence, expected struct ActionBody at line 1 column 2.'],
  ])('%s %s → %s', (name, body, expected) => {
    expect(fault(name, body)).toBe(expected);
  });

  // Regression: `2.0` and `2e0` are whole numbers to JSON Schema, so the fake accepted them where
  // serde_json hands the u8/u64/usize visitor an f64 and Firecracker answers 400.
  it.each([
    ['MachineConfiguration', '{"vcpu_count": 2.0, "mem_size_mib": 128}', 'invalid type: floating point `2.0`, expected u8 at line 1 column 18.'],
    ['MachineConfiguration', '{"vcpu_count": 2e0, "mem_size_mib": 128}', 'invalid type: floating point `2.0`, expected u8 at line 1 column 18.'],
    ['MachineConfiguration', '{"vcpu_count": -0, "mem_size_mib": 128}', 'invalid type: floating point `-0.0`, expected u8 at line 1 column 17.'],
    ['MachineConfiguration', '{"vcpu_count": 1, "mem_size_mib": 1E3}', 'invalid type: floating point `1000.0`, expected usize at line 1 column 37.'],
    ['MachineConfiguration', '{"vcpu_count": 18446744073709551616, "mem_size_mib": 128}', 'invalid type: floating point `18446744073709552000.0`, expected u8 at line 1 column 35.'],
    ['MachineConfiguration', '{"vcpu_count": 1, "mem_size_mib": 128, "smt": 1.0}', 'invalid type: floating point `1.0`, expected a boolean at line 1 column 49.'],
    ['MachineConfiguration', '2.0', 'invalid type: floating point `2.0`, expected struct MachineConfig at line 1 column 3.'],
    ['Drive', '{"drive_id":"r","is_root_device":true,"rate_limiter":{"ops":{"size":1.0e1,"refill_time":100}}}', 'invalid type: floating point `10.0`, expected u64 at line 1 column 73.'],
    ['MachineConfiguration', '{"vcpu_count": 2, "mem_size_mib": 0}', null],
  ])('refuses a float literal for an integer field as serde does: %s %s', (name, body, expected) => {
    expect(fault(name, body)).toBe(expected);
  });

  it.each([
    [2, '2.0'],
    [1.5, '1.5'],
    [-0, '-0.0'],
    [1e21, '1000000000000000000000.0'],
    [-2.5e22, '-25000000000000000000000.0'],
    [1e-7, '0.0000001'],
    [1.5e-7, '0.00000015'],
  ])('renders the f64 %s as serde’s Unexpected::Float does: %s', (value, text) => {
    expect(renderF64(value)).toBe(text);
  });

  it('renders serde’s "expected one of" for 0, 1, 2 and more names', () => {
    expect(expectedOneOf([], 'there are no fields')).toBe('there are no fields');
    expect(expectedOneOf(['a'], '')).toBe('expected `a`');
    expect(expectedOneOf(['a', 'b'], '')).toBe('expected `a` or `b`');
    expect(expectedOneOf(['a', 'b', 'c'], '')).toBe('expected one of `a`, `b`, `c`');
  });
});

describe('the serde-like JSON parser', () => {
  it('parses every JSON text JSON.parse accepts, to the same value', { tags: ['fuzz'] }, () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(parseSerdeJson(Buffer.from(text)).value).toEqual(JSON.parse(text));
      }),
      // The counterexample CI found once: a "__proto__" key must stay an own data property.
      { numRuns: 500, examples: [['[{"__proto__":false}]'], ['{"__proto__":{"a":1},"b":2}']] },
    );
  });

  it('marks the numbers serde_json reads as f64: fraction, exponent, -0, past u64 or below i64', () => {
    const literals = ['1', '-1', '0', '-0', '1.0', '1e0', '18446744073709551615', '18446744073709551616', '-9223372036854775808', '-9223372036854775809'];
    const { spans } = parseSerdeJson(Buffer.from(`[${literals.join(',')}]`));
    expect(literals.map((_, k) => spans.get(`/${k}`)?.float === true)).toEqual([false, false, false, true, true, true, false, true, false, true]);
  });

  it('keeps a "__proto__" key as an own property and never changes the object’s prototype', () => {
    const { value, duplicates } = parseSerdeJson(Buffer.from('{"__proto__":{"polluted":true},"__proto__":1}'));
    const object = value as Record<string, unknown>;
    expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
    expect(Object.keys(object)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(object, '__proto__')?.value).toBe(1);
    expect((object as { polluted?: unknown }).polluted).toBeUndefined();
    expect(duplicates.map((d) => d.pointer)).toEqual(['/__proto__']);
  });

  it('rejects what JSON.parse rejects (and lone surrogate escapes), with a position inside the input', { tags: ['fuzz'] }, () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const bytes = Buffer.from(text);
        try {
          parseSerdeJson(bytes);
          expect(valid).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(SerdeError);
          // serde_json refuses lone surrogate escapes that JSON.parse lets through.
          expect(valid && !/\\u[dD][89a-fA-F]/.test(text)).toBe(false);
          expect((error as SerdeError).offset).toBeLessThanOrEqual(bytes.length);
          expect(renderSerdeError(error as SerdeError, bytes)).toMatch(/ at line \d+ column \d+$/);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
