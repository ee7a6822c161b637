import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(__dirname, '..');
const OPTIONS: ts.CompilerOptions = { module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, resolveJsonModule: true, allowJs: true };

/**
 * Every module a file imports (static, dynamic `import()`, `require()`, either quote), found by the
 * TypeScript compiler's own pre-processor and resolved as the compiler resolves it, as a path from
 * the repository root; packages (outside the repository or in node_modules) are left out.
 */
export function imports(file: string, text = readFileSync(join(ROOT, file), 'utf8'), root = ROOT): string[] {
  const found = ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
  return found.flatMap((spec) => {
    const hit = ts.resolveModuleName(spec, join(root, file), OPTIONS, ts.sys).resolvedModule;
    const path = hit ? relative(root, hit.resolvedFileName) : spec.startsWith('.') ? relative(root, resolve(root, file, '..', spec)) : null;
    return path && !path.startsWith('..') && !path.includes('node_modules') ? [path] : [];
  });
}

/** The repository's files a file runs: itself and every module it reaches by imports, sorted. */
export function importClosure(entry: string, root = ROOT): string[] {
  const seen = new Set<string>([entry]);
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop() as string;
    for (const next of imports(file, readFileSync(join(root, file), 'utf8'), root)) {
      if (!seen.has(next)) { seen.add(next); todo.push(next); }
    }
  }
  return [...seen].sort();
}

/** A short hash of the files an entry point runs (their paths and contents): it changes when any of them does. */
export function closureHash(entry: string, root = ROOT): string {
  const h = createHash('sha256');
  for (const f of importClosure(entry, root)) h.update(`${f}\n`).update(readFileSync(join(root, f)));
  return h.digest('hex').slice(0, 16);
}
