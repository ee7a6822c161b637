import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * docs/planner.md lists every named constant of lib/planner with its value and why (the model's
 * remaining constants, and what becomes of the rules' own at the switch): a constant added,
 * removed or changed in the code and not in that table fails here.
 */
const root = join(__dirname, '..', '..');
const dir = join(root, 'lib', 'planner');

function inCode(): Map<string, { value: number; file: string }> {
  const found = new Map<string, { value: number; file: string }>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/^(?:export )?const ([A-Z][A-Z0-9_]*) = (-?[0-9][0-9_.e-]*);/gm)) {
      found.set(m[1], { value: Number(m[2].replace(/_/g, '')), file });
    }
  }
  return found;
}

function inDocs(): Map<string, { value: number; file: string; fate: string; why: string }> {
  const text = readFileSync(join(root, 'docs', 'planner.md'), 'utf8');
  const section = text.split(/^## Constants$/m)[1]?.split(/^## /m)[0] ?? '';
  const rows = new Map<string, { value: number; file: string; fate: string; why: string }>();
  for (const m of section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \| (.+) \|$/gm)) {
    rows.set(m[1], { value: Number(m[2].trim().replace(/,/g, '')), file: m[3].trim(), fate: m[4].trim(), why: m[5].trim() });
  }
  return rows;
}

describe('docs/planner.md, "Constants"', () => {
  const code = inCode();
  const docs = inDocs();

  test('the scan finds the constants (a broken pattern cannot pass by finding none)', () => {
    expect(code.size).toBeGreaterThan(20);
    expect(code.get('LATE_SHARE')).toEqual({ value: 0.01, file: 'horizon.ts' });
    expect(docs.size).toBeGreaterThan(20);
  });

  test('every constant in lib/planner is listed, with its value and file, and nothing else is', () => {
    expect([...docs.keys()].sort()).toEqual([...code.keys()].sort());
    for (const [name, { value, file }] of code) expect({ name, value: docs.get(name)?.value, file: docs.get(name)?.file }).toEqual({ name, value, file });
  });

  test('each says what becomes of it at the switch, and why it has its value', () => {
    for (const [name, row] of docs) {
      expect({ name, fate: ['kept', 'removed'].includes(row.fate) }).toEqual({ name, fate: true });
      expect({ name, long: row.why.length > 40 }).toEqual({ name, long: true });
    }
  });
});
