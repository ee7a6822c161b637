import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * Every measured figure the hand-written docs quote must come from a generated file. The test
 * (test/unit/quoted-figures.test.ts) scans the prose of README.md and docs/*.md outside the
 * regions commands write, finds each number with a unit a run measures, and reports each one no
 * generated region holds. A figure that is not a measurement (a limit, a default, a constant or a
 * parameter of the code, a test's own bound) is told apart by rules (`notMeasured`), and by a short
 * list in the test where no rule can tell.
 */

/** A part of a doc that a command writes: never hand-edited, and the only place a measured figure may come from. */
export interface GeneratedRegion {
  file: string;
  /** The region's first line; `null`: the whole file. Its first group names it (a bench section). */
  begin: RegExp | null;
  /** Its last line, `$1` standing for begin's first group; `null`: to the end of the file. */
  end: string | null;
  /** The command that writes it. */
  writer: string;
  /** false: written from hand-written texts (the config schema's descriptions), so no source for a measured figure. */
  measured: boolean;
}

export const GENERATED: GeneratedRegion[] = [
  { file: 'docs/benchmarks.md', begin: /^<!-- bench:([\w-]+) -->$/, end: '<!-- /bench:$1 -->', writer: 'npm run bench (bench/run.ts), npm run bench:under-load', measured: true },
  { file: 'docs/reliability.md', begin: /^<!-- (e2e|e2e-rabbitmq|soak|soak-rabbitmq):start -->$/, end: '<!-- $1:end -->', writer: 'npm run e2e:report [-- --broker rabbitmq], npm run soak -- [--broker rabbitmq] --write-report', measured: true },
  { file: 'docs/reliability.md', begin: /^## (Crash points)$/, end: null, writer: 'npm run crashpoints:report', measured: true },
  { file: 'README.md', begin: /^<!-- (simulate-sample) -->$/, end: '<!-- /$1 -->', writer: 'npm run docs:readme', measured: true },
  { file: 'docs/runbook.md', begin: /^<!-- (deployer-policy) -->$/, end: '<!-- /$1 -->', writer: 'node scripts/deployer-policy.js', measured: false },
  { file: 'docs/cost.md', begin: null, end: null, writer: 'npm run docs:cost', measured: true },
  { file: 'docs/mutation.md', begin: null, end: null, writer: 'npm run mutate', measured: true },
  { file: 'docs/config.md', begin: null, end: null, writer: 'npm run docs:config', measured: false },
];

export interface Doc {
  file: string;
  text: string;
}

/** A generated region as found in a doc: its name (a bench section's, else the file's), its lines. */
export interface FoundRegion {
  region: GeneratedRegion;
  name: string;
  lines: string[];
}

/** The doc's lines outside every generated region (1-based line → text), and the regions found. */
export function splitGenerated(doc: Doc, regions: readonly GeneratedRegion[] = GENERATED): { hand: Map<number, string>; found: FoundRegion[] } {
  const hand = new Map<number, string>();
  const found: FoundRegion[] = [];
  const mine = regions.filter((r) => r.file === doc.file);
  let inside: { found: FoundRegion; end: string | null } | undefined;
  doc.text.split('\n').forEach((text, i) => {
    if (!inside) {
      for (const region of mine) {
        const m = region.begin === null ? (i === 0 ? [''] : null) : region.begin.exec(text);
        if (!m) continue;
        const f: FoundRegion = { region, name: m[1] ?? doc.file, lines: [] };
        found.push(f);
        inside = { found: f, end: region.begin === null || region.end === null ? null : region.end.replace('$1', m[1] ?? '') };
        break;
      }
    }
    if (inside) {
      inside.found.lines.push(text);
      if (inside.end !== null && text === inside.end) inside = undefined;
    } else hand.set(i + 1, text);
  });
  return { hand, found };
}

export type Unit = 'ms' | 's' | 'min' | 'h' | '%' | '×' | 'paid/busy' | 'bytes' | 'KiB' | 'KB' | 'MB' | 'GB' | 'worker-minutes' | '$' | `count:${Noun}`;

/** What a count counts, as the patterns and the generated texts name it. */
export type Noun = 'calls' | 'writes' | 'events' | 'lost' | 'tests' | 'reversals' | 'crash points' | 'workloads' | 'runs' | 'failed';
const NOUNS: [RegExp, Noun][] = [
  [/\b(?:ECS )?calls\b/, 'calls'], [/\bwrites\b/, 'writes'], [/\b(?:history )?events\b/, 'events'], [/\blost\b/, 'lost'],
  [/\btests?\b|\btest files\b/, 'tests'], [/\breversals\b/, 'reversals'], [/\bcrash points\b/, 'crash points'],
  [/\bworkloads\b/, 'workloads'], [/\bruns\b/, 'runs'], [/\bfailed\b/, 'failed'],
];
/** The nouns a text names. */
const nounsIn = (text: string): Noun[] => NOUNS.filter(([re]) => re.test(text)).map(([, n]) => n);

/** A figure quoted in prose. */
export interface Figure {
  file: string;
  line: number;
  /** The figure as it reads, e.g. `1,076 ms`. */
  quote: string;
  /** The number as written (commas kept). */
  number: string;
  unit: Unit;
  /** The paragraph, list item or table row it stands in (code spans kept), and the headings above it. */
  context: string;
  /** Where the quote ends in `context`. */
  after: number;
  /** A table row's header and the paragraph before its table. */
  around: string;
  headings: string[];
}

const NUM = String.raw`\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?`;
const BEFORE = String.raw`(?<![\w.,/$+-])`;
const RANGE = String.raw`(${NUM})(?:\s?[–-]\s?(${NUM}))?`;
const UNITS = String.raw`ms|s|%|bytes|KiB|KB|MB|GB|worker-minutes|w-min|min|minutes|minute|h|hours`;
const UNIT_OF: Record<string, Unit> = { ms: 'ms', s: 's', min: 'min', minute: 'min', minutes: 'min', h: 'h', hours: 'h', '%': '%', bytes: 'bytes', KiB: 'KiB', KB: 'KB', MB: 'MB', GB: 'GB', 'worker-minutes': 'worker-minutes', 'w-min': 'worker-minutes' };
/** Words that make a bare number a count a run measured. */
const COUNTED = String.raw`(?:lost|tests?|test files|history events|events|ECS calls|calls|writes|reversals|crash points|workloads|runs|cycles failed|failed cycles)`;
const countOf = (words: string): Unit => `count:${nounsIn(words)[0]}`;

type Pattern = { re: RegExp; unit: (m: RegExpExecArray) => Unit };
/**
 * Numbers with a unit a run measures; a range (`5–7 ms`, `1.2–1.4×`) gives both ends. Minutes and
 * hours are mostly settings (a 3-minute lease, a 5-minute target): the constant rule tells them apart.
 */
const PATTERNS: Pattern[] = [
  // 12 ms, 1.5 s, 97.6%, 35.3 KiB, 5.7 worker-minutes, 5–7 ms
  { re: new RegExp(String.raw`${BEFORE}${RANGE}(?:\s|-)?(${UNITS})(?![\w/])`, 'g'), unit: (m) => UNIT_OF[m[3]] },
  // a ratio: 1.64×, 2–3×, 1.15 × best known (not a product: 4 × the usual count)
  { re: new RegExp(String.raw`${BEFORE}${RANGE}(?:×|\s×(?=\s(?:best known|bound|reactive)\b))`, 'g'), unit: () => '×' },
  { re: new RegExp(String.raw`\$(${NUM})`, 'g'), unit: () => '$' },
  // 16,127 history events, 272 ECS calls, 0 lost, 79 cycles failed
  { re: new RegExp(String.raw`${BEFORE}${RANGE}\s(?:[\w-]+\s)?(${COUNTED})\b`, 'g'), unit: (m) => countOf(m[3]) },
  { re: new RegExp(String.raw`paid\/busy\s(${NUM})(?:\s→\s(${NUM}))?`, 'g'), unit: () => 'paid/busy' },
];

/** Blank what is not prose: code spans (also across lines), link targets, URLs, HTML comments; newlines kept. */
export function prose(text: string): string {
  const blank = (s: string) => s.replace(/[^\n]/g, ' ');
  return text
    .replace(/`[^`]*`/g, (s) => (/\n\s*\n/.test(s) ? s : blank(s)))
    .replace(/<!--[\s\S]*?-->/g, blank)
    .replace(/\]\([^)]*\)/g, (s) => `]${blank(s.slice(1))}`)
    .replace(/https?:\/\/[^\s)]+/g, blank);
}

export interface Block {
  lines: { line: number; text: string }[];
  headings: string[];
  /** For a table row: the table's header row and the paragraph that introduces the table. */
  around: string;
}

/** The hand-written lines of a doc grouped as a reader groups them: a paragraph, a list item, a table row; with their headings. */
export function blocks(doc: Doc, regions: readonly GeneratedRegion[] = GENERATED): Block[] {
  const { hand } = splitGenerated(doc, regions);
  const out: Block[] = [];
  let table: { header: string; before: string } | undefined;
  const headings: string[] = [];
  let current: Block | undefined;
  let fenced = false;
  let previous = 0;
  for (const [line, text] of hand) {
    const gap = line !== previous + 1;
    previous = line;
    if (/^\s*```/.test(text)) {
      fenced = !fenced;
      current = undefined;
      continue;
    }
    if (fenced) continue;
    const heading = /^(#+)\s/.exec(text);
    if (heading) {
      headings.splice(heading[1].length - 1, headings.length, text);
      current = undefined;
      continue;
    }
    if (text.trim() === '' || gap) current = undefined;
    if (text.trim() === '') {
      table = undefined;
      continue;
    }
    const row = /^\s*\|/.test(text);
    if (row && !table) table = { header: text, before: current && !/^\s*\|/.test(current.lines[0].text) ? current.lines.map((l) => l.text).join('\n') : out.at(-1)?.lines.map((l) => l.text).join('\n') ?? '' };
    if (!row) table = undefined;
    const starts = row || /^\s*(?:[-*]|\d+\.)\s/.test(text) || current === undefined || /^\s*\|/.test(current.lines[0].text);
    if (starts) {
      current = { lines: [], headings: headings.filter(Boolean), around: row && table ? `${table.header}\n${table.before}` : '' };
      out.push(current);
    }
    current!.lines.push({ line, text });
  }
  return out;
}

/** The figures quoted in the hand-written prose of one doc. */
export function quotedFigures(doc: Doc, regions: readonly GeneratedRegion[] = GENERATED): Figure[] {
  const out: Figure[] = [];
  for (const block of blocks(doc, regions)) {
    const raw = block.lines.map((l) => l.text).join('\n');
    const text = prose(raw);
    const starts = block.lines.map((_, i) => block.lines.slice(0, i).reduce((n, l) => n + l.text.length + 1, 0));
    const lineAt = (at: number) => block.lines[starts.filter((s) => s <= at).length - 1].line;
    const taken = new Set<number>();
    for (const p of PATTERNS) {
      for (const m of text.matchAll(p.re)) {
        const at = m.index ?? 0;
        if (taken.has(at)) continue;
        taken.add(at);
        const unit = p.unit(m as RegExpExecArray);
        for (const n of [m[1], m[2]]) if (n !== undefined) out.push({ file: doc.file, line: lineAt(at), quote: m[0].trim().replace(/\s+/g, ' '), number: n, unit, context: raw, after: at + m[0].trimEnd().length, around: block.around, headings: block.headings });
      }
    }
  }
  return out;
}

/** A number as a value: commas dropped. */
export const numberOf = (n: string): number => Number(n.replace(/,/g, ''));

/** Units compared as one: × and a header's "× best known" are both ratios; a paid/busy ratio only matches a paid/busy one. */
const family = (unit: Unit): string => (unit === '×' ? 'ratio' : unit);

/** The unit a table header cell (or a heading's "(KiB)") gives the bare numbers under it. */
export function headerUnit(cell: string): Unit | undefined {
  if (/paid\/busy/.test(cell)) return 'paid/busy';
  if (/×/.test(cell)) return '×';
  if (/\bw-min\b|worker-minutes/.test(cell)) return 'worker-minutes';
  const m = /(?:^|[\s(])(ms|s|%|KiB|KB|MB|GB|bytes|\$)(?=$|[\s)])/.exec(cell.trim());
  return m ? (m[1] as Unit) : undefined;
}

const INLINE = new RegExp(String.raw`(?<![\w.,/-])(?:\$(${NUM})|${RANGE}(?:\s|-)?(${UNITS})(?![\w/]))`, 'g');
const RATIO = new RegExp(String.raw`(?<![\w.,])(${NUM})\s?×`, 'g');
const ANY_NUMBER = new RegExp(String.raw`(?<![\w.,])(${NUM})`, 'g');

/**
 * The figures a generated text holds, as `unit:value`: a number with its unit after it (`$`
 * before it); a bare number in a table under its column's unit (else its heading's "(KiB)"); any
 * other bare number as a count of what its line, cell, column, row or heading names (calls,
 * events, …).
 */
export function generatedFigures(lines: readonly string[]): Set<string> {
  const out = new Set<string>();
  const add = (unit: Unit, n: string) => out.add(`${family(unit)}:${numberOf(n)}`);
  let header: string[] | undefined;
  let heading = '';
  lines.forEach((line, i) => {
    if (/^#+ /.test(line)) heading = line;
    const row = line.startsWith('|');
    if (!row) header = undefined;
    if (row && /^\|[\s:|-]+\|?$/.test(line)) {
      header = (lines[i - 1] ?? '').split('|');
      return;
    }
    const cells = row ? line.split('|') : [line];
    cells.forEach((cell, c) => {
      let rest = cell;
      for (const m of cell.matchAll(RATIO)) {
        add('×', m[1]);
        rest = rest.replace(m[0], ' ');
      }
      for (const m of rest.matchAll(INLINE)) {
        if (m[1] !== undefined) add('$', m[1]);
        else for (const n of [m[2], m[3]]) if (n !== undefined) add(UNIT_OF[m[4]], n);
        rest = rest.replace(m[0], ' ');
      }
      const column = row && header ? header[c] ?? '' : '';
      const unit = headerUnit(column) ?? (row ? (/\((KiB|KB|MB|ms|s)\)\s*$/.exec(heading)?.[1] as Unit | undefined) : undefined);
      const nouns = nounsIn([cell, column, row ? cells[1] ?? '' : '', heading].join(' '));
      for (const m of rest.matchAll(ANY_NUMBER)) {
        if (unit) add(unit, m[1]);
        else for (const noun of nouns) add(`count:${noun}`, m[1]);
      }
    });
  });
  return out;
}

/** What the rules compare with: the generated figures by region, and the code's own numbers. */
export interface Sources {
  /** Every measured generated region's figures, under its name (a bench section's, or the file's). */
  regions: Map<string, Set<string>>;
  /** Numbers of the code that are not measurements, as `unit:value` (times in ms, sizes in bytes; `count` for a bare constant). */
  constants: Map<string, Constant[]>;
  /** Reads a file the docs cite (a path, or a file name found once under the repository's code folders); undefined when none. */
  cited: (path: string) => string | undefined;
}

/** A number of the code: its name (a constant's, a config key, a serverless.yml setting) and where it is. */
export interface Constant {
  name: string;
  where: string;
}

/** A hand-kept exception: figures no rule can tell from a measurement, and why they are none. */
export interface Explained {
  file: string;
  /** Text of the doc that holds the figures (every figure of its paragraph that it contains), or a heading (every figure under it). */
  says?: string;
  under?: string;
  reason: string;
}

export type Verdict = { kind: 'sourced'; where: string } | { kind: 'not measured'; why: string } | { kind: 'unsourced' };

const TO_MS: Record<string, number> = { ms: 1, s: 1000, seconds: 1000, min: 60_000, minutes: 60_000, h: 3_600_000, hours: 3_600_000, days: 86_400_000 };
const TO_BYTES: Record<string, number[]> = { bytes: [1], KiB: [1024], KB: [1000, 1024], MB: [1e6, 1024 * 1024], GB: [1e9, 1024 ** 3] };

/** The keys a figure would have among `Sources.constants`. */
function constantKeys(f: Figure): string[] {
  const v = numberOf(f.number);
  if (f.unit in TO_MS) return [`ms:${v * TO_MS[f.unit]}`];
  if (f.unit in TO_BYTES) return TO_BYTES[f.unit].map((k) => `bytes:${Math.round(v * k)}`).concat(f.unit === 'MB' ? [`MB:${v}`] : []);
  if (f.unit === '%') return [`%:${v}`];
  if (f.unit.startsWith('count:')) return [`count:${v}`];
  return [];
}

const NAME_STOP = new Set(['ms', 'seconds', 'minutes', 'hours', 'days', 'bytes', 'limit', 'max', 'min', 'size', 'per', 'the', 'of', 'count', 'share']);
/** The words of a constant's name a text would use for it: `DRAIN_NODES_BUDGET_BYTES` → drain, nodes, budget. */
export const nameWords = (name: string): string[] =>
  name.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase().split(/[^a-z]+/).filter((w) => w.length >= 4 && !NAME_STOP.has(w));

/** Bench section names a block cites: `payloads`, "section measure-fleet", "the `cli` section". */
function citedSections(f: Figure, sources: Sources): string[] {
  const names = [...sources.regions.keys()];
  return names.filter((n) => !n.includes('/') && new RegExp(`\`${n}\`|section ${n}\\b|bench/run\\.ts ${n}\\b`).test(f.context));
}

/** Repository files a block or its headings cite, as written: `lib/ecs/limits.ts`, (`families.ts`), test/unit/x.test.ts. */
export function citedFiles(text: string): string[] {
  return [...new Set([...text.matchAll(/(?:^|[\s`(])((?:[\w.-]+\/)*[\w.-]+\.(?:ts|js|json|yml|py))(?=[\s`),:;]|$)/gm)].map((m) => m[1]))];
}

/** Why a figure is no measurement by rule (the hand-kept list aside), or undefined. */
export function notMeasured(f: Figure, sources: Sources): string | undefined {
  // The same value is not enough (60 s is a dozen settings): the text must speak of what the
  // constant is, one word of its name (POLL_SECONDS: "polls"; drainTimeoutSeconds: "drain").
  const text = `${f.context}\n${f.around}`.toLowerCase();
  const constant = constantKeys(f).flatMap((k) => sources.constants.get(k) ?? []).find((c) => nameWords(c.name).some((w) => text.includes(w)));
  if (constant) return `a constant: ${constant.name} (${constant.where})`;
  if (/^\s*(?:[\w-]+\s)?(?:tasks?|sleeps?|`[^`]*(?:task|sleep)[^`]*`)(?![\w-])/.test(f.context.slice(f.after)) && /^(ms|s|min|h)$/.test(f.unit)) return 'how long a task runs: the input of an example or an experiment';
  const scope = [f.context, f.around, ...f.headings].join('\n');
  if (/(?:https?:\/\/)?(?:docs\.aws\.amazon\.com|kubernetes\.io\/docs|keda\.sh\/docs)\//.test(scope)) return 'a documented figure of AWS, Kubernetes or KEDA: its text cites their documentation';
  // A number that common (5, 20) is in any file: only one with a decimal point or three digits tells.
  const telling = /\.|\d{3}/.test(f.number.replace(/,/g, ''));
  for (const path of telling ? citedFiles(scope) : []) {
    const file = sources.cited(path);
    if (file !== undefined && new RegExp(`(?<![\\d.])${f.number.replace(/,/g, ',?').replace('.', '\\.')}(?![\\d]|\\.\\d)`).test(file.replace(/(\d)_(?=\d)/g, '$1'))) return `written in ${path}, which its text cites`;
  }
  return undefined;
}

/** The entry of the hand-kept list that covers a figure, if any: the figure stands within the text an entry quotes, or under its heading. */
export function listed(f: Figure, explained: readonly Explained[]): Explained | undefined {
  const within = (says: string) => {
    const re = new RegExp(says.trim().split(/\s+/).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+'), 'g');
    return [...f.context.matchAll(re)].some((m) => (m.index ?? 0) <= f.after - f.quote.length && f.after <= (m.index ?? 0) + m[0].length);
  };
  return explained.find((e) => e.file === f.file && ((e.says !== undefined && within(e.says)) || (e.under !== undefined && f.headings.includes(e.under))));
}

/** Where a generated region holds the figure (the sections its text cites, when it cites any). */
export function sourceOf(f: Figure, sources: Sources): string | undefined {
  const cited = citedSections(f, sources);
  const key = `${family(f.unit)}:${numberOf(f.number)}`;
  return (cited.length > 0 ? cited : [...sources.regions.keys()]).find((n) => sources.regions.get(n)?.has(key));
}

/**
 * Whether a figure is no measurement (by a rule, else by the hand-kept list), sourced, or neither.
 * A quote the list names is taken before the generated files: a listed example is not a
 * measurement even when some table happens to hold the same number (a scenario that ran 40 s does
 * not source an example of 40 s). A section the list names (`under`) comes after them.
 */
export function verdict(f: Figure, sources: Sources, explained: readonly Explained[] = []): Verdict {
  const why = notMeasured(f, sources);
  if (why) return { kind: 'not measured', why };
  const quoted = listed(f, explained.filter((e) => e.says !== undefined));
  if (quoted) return { kind: 'not measured', why: `listed: ${quoted.reason}` };
  const where = sourceOf(f, sources);
  if (where) return { kind: 'sourced', where };
  const section = listed(f, explained.filter((e) => e.says === undefined));
  return section ? { kind: 'not measured', why: `listed: ${section.reason}` } : { kind: 'unsourced' };
}

/** Every figure of the docs with its verdict. */
export function checkFigures(docs: readonly Doc[], sources: Sources, explained: readonly Explained[] = [], regions: readonly GeneratedRegion[] = GENERATED): { figure: Figure; verdict: Verdict }[] {
  return docs.flatMap((d) => quotedFigures(d, regions).map((figure) => ({ figure, verdict: verdict(figure, sources, explained) })));
}

/** The measured regions of these docs as `Sources.regions`. */
export function generatedSources(docs: readonly Doc[], regions: readonly GeneratedRegion[] = GENERATED): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const d of docs) for (const f of splitGenerated(d, regions).found) if (f.region.measured) out.set(f.name, generatedFigures(f.lines));
  return out;
}

/** Numeric constants of the code, from their names' units: `PAYLOAD_LIMIT_BYTES = 262_144`, `REPAIR_LEASE_MS = 30_000`, `POLL_SECONDS = 5`. */
export function codeConstants(files: readonly { file: string; text: string }[]): Map<string, Constant[]> {
  const out = new Map<string, Constant[]>();
  for (const { file, text } of files) {
    // A number or a product of numbers: `262_144`, `5 * 60 * 1000`.
    for (const m of text.matchAll(/^(?:export )?const ([A-Z][A-Z0-9_]*) = (\d[\d_.]*(?:\s*\*\s*\d[\d_.]*)*);/gm)) {
      const value = m[2].split('*').reduce((p, n) => p * Number(n.trim().replace(/_/g, '')), 1);
      if (!Number.isFinite(value)) continue;
      const name = m[1];
      const unit = /_MS$/.test(name) ? 'ms' : /_SECONDS$/.test(name) ? 'seconds' : /_MINUTES$/.test(name) ? 'minutes' : /_HOURS$/.test(name) ? 'hours' : /_DAYS$/.test(name) ? 'days' : /_BYTES$/.test(name) ? 'bytes' : /_(SHARE|PERCENT)$/.test(name) ? '%' : 'count';
      const key = unit === 'bytes' || unit === '%' || unit === 'count' ? `${unit}:${value}` : `ms:${value * TO_MS[unit]}`;
      out.set(key, [...(out.get(key) ?? []), { name, where: file }]);
    }
  }
  return out;
}

/** The config schema's defaults and bounds, from the keys' units (`drainTimeoutSeconds` 600 → 600 s). */
export function schemaConstants(schema: unknown): Map<string, Constant[]> {
  const out = new Map<string, Constant[]>();
  const walk = (node: unknown, key: string) => {
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    const unit = /Ms$/.test(key) ? 1 : /Seconds$/.test(key) ? 1000 : /Minutes$/.test(key) ? 60_000 : undefined;
    for (const k of ['default', 'maximum', 'minimum', 'exclusiveMinimum']) {
      if (typeof n[k] !== 'number') continue;
      const v = n[k] as number;
      const at = unit ? `ms:${v * unit}` : `count:${v}`;
      out.set(at, [...(out.get(at) ?? []), { name: key, where: `the config schema's ${k}` }]);
    }
    for (const [k, v] of Object.entries(n)) {
      if (k === 'properties' && v && typeof v === 'object') for (const [name, p] of Object.entries(v)) walk(p, name);
      else if (typeof v === 'object') walk(v, key);
    }
  };
  walk(schema, 'config');
  return out;
}

/** serverless.yml's Lambda settings: `memorySize` (MB) and `timeout` (s). */
export function lambdaSettings(serverlessYml: string): Map<string, Constant[]> {
  const out = new Map<string, Constant[]>();
  for (const m of serverlessYml.matchAll(/^\s*(memorySize|timeout):\s*(\d+)\s*$/gm)) {
    const key = m[1] === 'memorySize' ? `MB:${m[2]}` : `ms:${Number(m[2]) * 1000}`;
    if (!out.has(key)) out.set(key, [{ name: m[1], where: 'serverless.yml' }]);
  }
  return out;
}

const CODE_FOLDERS = ['lib', 'bench', 'scripts', 'local', 'test', 'cli', 'functions'];

/** Every file under the repository's code folders, by path relative to `root`. */
function codeFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir))) {
      const rel = `${dir}/${name}`;
      if (statSync(join(root, rel)).isDirectory()) walk(rel);
      else out.push(rel);
    }
  };
  for (const d of CODE_FOLDERS) if (existsSync(join(root, d))) walk(d);
  return out;
}

/** The README and every docs/*.md of the repository at `root`. */
export function readDocs(root: string): Doc[] {
  const files = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
  return files.map((file) => ({ file, text: readFileSync(join(root, file), 'utf8') }));
}

/** The sources of the repository at `root`; `schema` is the config's JSON Schema (scripts/gen-config-docs.ts). */
export function readSources(root: string, docs: readonly Doc[], schema: unknown): Sources {
  const code = codeFiles(root);
  const lib = code.filter((f) => f.startsWith('lib/') && f.endsWith('.ts')).map((file) => ({ file, text: readFileSync(join(root, file), 'utf8') }));
  const constants = new Map<string, Constant[]>();
  for (const m of [lambdaSettings(readFileSync(join(root, 'serverless.yml'), 'utf8')), schemaConstants(schema), codeConstants(lib)]) for (const [k, v] of m) constants.set(k, [...(constants.get(k) ?? []), ...v]);
  const cited = (path: string): string | undefined => {
    const direct = [path, ...code.filter((f) => f.endsWith(`/${path}`) || basename(f) === path)];
    const hits = [...new Set(direct.filter((f) => existsSync(join(root, f)) && statSync(join(root, f)).isFile()))];
    return hits.length === 1 ? readFileSync(join(root, hits[0]), 'utf8') : undefined;
  };
  return { regions: generatedSources(docs), constants, cited };
}
