import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { payloadSection } from '../../bench/payloads';
import { COST_DOCS, renderCostDocs } from '../../scripts/cost';
import { closureHash, importClosure } from '../../scripts/imports';
import { CONFIG_DOCS, CONFIG_JSON_SCHEMA, configJsonSchema, renderConfigDocs, renderJsonSchema } from '../../scripts/gen-config-docs';

const read = (f: string) => readFileSync(f, 'utf8');
/** One section of docs/benchmarks.md, between its `<!-- bench:NAME -->` markers. */
const benchSection = (name: string) => new RegExp(`<!-- bench:${name} -->\\n([\\s\\S]*?)\\n<!-- /bench:${name} -->`).exec(read(join(__dirname, '..', '..', 'docs', 'benchmarks.md')))?.[1] ?? '';

describe('generated docs: the config reference and the cost table', () => {
  test.each([
    ['docs/config.md', CONFIG_DOCS, renderConfigDocs],
    ['autoscaler.config.schema.json', CONFIG_JSON_SCHEMA, renderJsonSchema],
    ['docs/cost.md', COST_DOCS, renderCostDocs],
  ])('%s is up to date (run `npm run docs:config` / `npm run docs:cost`)', (_name, file, render) => {
    expect(read(file)).toBe(render());
  });

  test('docs/benchmarks.md holds the payload table a fresh run writes (npx tsx bench/run.ts payloads)', () => {
    const section = benchSection('payloads');
    const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '' && !/^_Run on .*\._$/.test(l)); // the run's date aside
    expect(lines(section)).toEqual(lines(payloadSection()));
  });

  test('docs/benchmarks.md\'s simulate section was written from the simulator, planner and cycle as they are (else rerun `npx tsx bench/run.ts simulate`)', () => {
    // Its figures take minutes to compute, so the section records what it was computed from: a
    // hash of bench/simulate.ts and every file it imports.
    const section = benchSection('simulate');
    expect(section).toContain(`<!-- simulate sources ${closureHash('bench/simulate.ts')} -->`);
    // The closure reaches what the figures depend on, not only the bench's own file.
    expect(importClosure('bench/simulate.ts')).toEqual(expect.arrayContaining(['lib/planner/index.ts', 'lib/planner/horizon.ts', 'lib/simulate/reference.ts', 'lib/simulate/engine.ts', 'lib/cycle/compute-plan.ts']));
  });

  test('the shipped autoscaler.config.yml sets no measured default to another value (one docs/config.md calls worse)', () => {
    // From the same descriptions docs/config.md is generated from: "Default X, measured: …" says
    // X was measured against the other values, so the example config carries X or leaves the key out.
    const service = (configJsonSchema().properties as Record<string, { additionalProperties: { properties: Record<string, { description?: string; default?: unknown }> } }>).services.additionalProperties.properties;
    const measured = Object.entries(service).filter(([, p]) => /\bDefault [^,]*, measured\b/.test(p.description ?? ''));
    expect(measured.map(([k]) => k)).toEqual(expect.arrayContaining(['scaleDownThreshold', 'scaleDownCooldownSeconds', 'stabilizationSeconds', 'idleMinutes']));
    const shipped = parseYaml(read(join(__dirname, '..', '..', 'autoscaler.config.yml'))) as { services: Record<string, Record<string, unknown>> };
    const worse = Object.entries(shipped.services).flatMap(([name, s]) => measured
      .filter(([key, p]) => key in s && s[key] !== p.default)
      .map(([key, p]) => `services.${name}.${key}: ${JSON.stringify(s[key])}, measured default ${JSON.stringify(p.default)}`));
    expect(worse).toEqual([]);
  });

  test('every key of the schema has a meaning in the reference', () => {
    const docs = renderConfigDocs();
    expect(docs).not.toMatch(/\| \|\n/);
    for (const key of ['broker.urlParameter', 'hardMaxWorkers', 'services.<name>.drainTimeoutSeconds']) expect(docs).toContain(`\`${key}\``);
  });

  test('the shipped config points editors at the schema and uses only keys it knows', () => {
    const text = read(join(__dirname, '..', '..', 'autoscaler.config.yml'));
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./autoscaler.config.schema.json');
    const schema = configJsonSchema();
    const config = parseYaml(text) as { broker: object; services: Record<string, object> };
    const service = (schema.properties?.services.additionalProperties as { properties: object }).properties;
    expect(Object.keys(config.broker).filter((k) => !(k in (schema.properties?.broker.properties ?? {})))).toEqual([]);
    for (const s of Object.values(config.services)) expect(Object.keys(s).filter((k) => !(k in service))).toEqual([]);
  });
});
