// Writes docs/config.md and autoscaler.config.schema.json from the one zod schema
// (lib/config/schema.ts): `npm run docs:config`. test/unit/config-docs.test.ts fails when
// either file is out of date.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { configSchema, CROSS_FIELD_RULES } from '../lib/config/schema';

type JsonSchema = {
  type?: string; description?: string; default?: unknown; properties?: Record<string, JsonSchema>; additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema; required?: string[]; pattern?: string; minimum?: number; maximum?: number; exclusiveMinimum?: number;
  minItems?: number; minLength?: number; propertyNames?: JsonSchema; enum?: unknown[];
};

const ROOT = join(__dirname, '..');
export const CONFIG_DOCS = join(ROOT, 'docs', 'config.md');
export const CONFIG_JSON_SCHEMA = join(ROOT, 'autoscaler.config.schema.json');

export function configJsonSchema(): JsonSchema & { $schema?: string; title?: string } {
  // Cast: the two packages' zod type declarations are too deep for tsc to compare; the runtime is one zod.
  const schema = zodToJsonSchema(configSchema as never, { $refStrategy: 'none', target: 'jsonSchema7' }) as JsonSchema & { $schema?: string };
  return { $schema: schema.$schema, title: 'celery-ecs-autoscaler config', ...schema };
}

const typeOf = (s: JsonSchema): string => (s.type === 'array' ? `${s.items ? typeOf(s.items) : 'any'}[]` : s.type ?? 'any');

function ruleOf(s: JsonSchema, required: boolean): string {
  const rules: string[] = [];
  if (required) rules.push('required');
  if (s.enum) rules.push(`one of ${s.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
  if (s.type === 'integer') rules.push('whole');
  if (s.exclusiveMinimum !== undefined) rules.push(`> ${s.exclusiveMinimum}`);
  if (s.minimum !== undefined) rules.push(`≥ ${s.minimum}`);
  if (s.maximum !== undefined) rules.push(`≤ ${s.maximum}`);
  if (s.minItems !== undefined) rules.push(`at least ${s.minItems}`);
  if (s.minLength !== undefined) rules.push('not empty');
  if (s.pattern !== undefined) rules.push(`\`${s.pattern}\``);
  if (s.items && s.items.maximum !== undefined) rules.push(`each ${ruleOf(s.items, false)}`);
  return rules.join(', ');
}

const cell = (x: string): string => x.replace(/\|/g, '\\|');
const show = (v: unknown): string => (v === undefined ? '—' : `\`${JSON.stringify(v)}\``);

function section(title: string, prefix: string, s: JsonSchema): string {
  const rows = Object.entries(s.properties ?? {})
    .filter(([, p]) => p.type !== 'object')
    .map(([key, p]) => `| \`${prefix}${key}\` | ${typeOf(p)} | ${show(p.default)} | ${cell(ruleOf(p, (s.required ?? []).includes(key)))} | ${cell(p.description ?? '')} |`);
  return [`## ${title}`, '', s.description ?? '', '', '| key | type | default | rule | meaning |', '|---|---|---|---|---|', ...rows, ''].join('\n');
}

export function renderConfigDocs(): string {
  const root = configJsonSchema();
  const props = root.properties as Record<string, JsonSchema>;
  const service = props.services.additionalProperties as JsonSchema;
  return [
    '<!-- Generated from lib/config/schema.ts by `npm run docs:config`: edit the .describe() texts there, not this file. -->',
    '# Configuration reference',
    '',
    '`autoscaler.config.yml` is validated with one zod schema at package time and at every cycle; an invalid',
    'value is rejected with its path and the rule it breaks. Editors that speak the YAML language server',
    'complete and check it from [`autoscaler.config.schema.json`](../autoscaler.config.schema.json) (the',
    '`# yaml-language-server: $schema=` line at the top of the file).',
    '',
    section('Top level', '', { ...root, description: root.description }),
    section('broker', 'broker.', props.broker),
    section('state', 'state.', props.state),
    section('services.&lt;name&gt;', 'services.<name>.', { ...service, description: `${props.services.description} ${service.description ?? ''}` }),
    '## Rules across fields',
    '',
    ...CROSS_FIELD_RULES.map((r) => `- ${r}`),
    '',
    'Execution overrides (`minWorkers`, `maxWorkers`, `targetMinutes`, `desired` per service, `dryRun`,',
    '`skipCooldown`, `note`) are checked against these same rules before a cycle uses them: see',
    '[Manual runs and overrides](../README.md#manual-runs-and-overrides).',
    '',
  ].join('\n');
}

export const renderJsonSchema = (): string => `${JSON.stringify(configJsonSchema(), null, 2)}\n`;

if (require.main === module) {
  writeFileSync(CONFIG_DOCS, renderConfigDocs());
  writeFileSync(CONFIG_JSON_SCHEMA, renderJsonSchema());
  process.stdout.write(`wrote ${CONFIG_DOCS} and ${CONFIG_JSON_SCHEMA}\n`);
}
