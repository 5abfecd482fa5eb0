// The shape of src/ as the README's ARCHITECTURE section states it, checked on the import lines themselves:
// no module imports itself back through others (type-only imports included: a cycle of types still ties two
// files into one), and the CLI's verbs load without the native core (each verb imports what loads it inside
// its action), so `motif --help` and the MIDI verbs work where the addon is missing. The layer order between
// folders is eslint's (eslint.config.js), so editors show it too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

/** One import of a module: its target (path under the project root, .ts) and how it binds. */
interface Edge {
  to: string;
  kind: 'value' | 'type' | 'dynamic';
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

// Static imports and re-exports (multi-line specifier lists included), and import('…') calls.
const STATIC = /^(import|export)\s+(type\s+)?([^;]*?)\s*from\s*'(\.[^']+)'/gms;
const DYNAMIC = /(typeof\s+)?\bimport\(\s*'(\.[^']+)'\s*\)/g;

function edges(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const target = (spec: string): string => relative(root, normalize(join(dirname(file), spec.replace(/\.js$/, '.ts'))));
  const out: Edge[] = [];
  for (const m of text.matchAll(STATIC)) {
    const names = /\{([^}]*)\}/
      .exec(m[3])?.[1]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const typeOnly =
      m[2] !== undefined ||
      (names !== undefined && /^\{[^}]*\}$/.test(m[3].trim()) && names.every((n) => n.startsWith('type ')));
    out.push({ to: target(m[4]), kind: typeOnly ? 'type' : 'value' });
  }
  for (const m of text.matchAll(DYNAMIC)) out.push({ to: target(m[2]), kind: m[1] ? 'type' : 'dynamic' });
  return out;
}

const graph = new Map(sources(src).map((f) => [relative(root, f), edges(f)]));

test('every relative import in src/ names a module that exists', () => {
  const missing = [...graph].flatMap(([from, es]) =>
    es.filter((e) => !graph.has(e.to)).map((e) => `${from} → ${e.to}`),
  );
  assert.deepEqual(missing, []);
});

test('no import cycles in src/, type-only imports included', () => {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (m: string): void => {
    state.set(m, 'open');
    path.push(m);
    for (const e of graph.get(m) ?? []) {
      if (e.kind === 'dynamic') continue; // a lazy import runs after both modules have loaded
      if (state.get(e.to) === 'open') cycles.push([...path.slice(path.indexOf(e.to)), e.to].join(' → '));
      else if (!state.has(e.to)) visit(e.to);
    }
    path.pop();
    state.set(m, 'done');
  };
  for (const m of graph.keys()) if (!state.has(m)) visit(m);
  assert.deepEqual(cycles, []);
});

test('the CLI loads without the native core: no verb imports what loads it before its action runs', () => {
  const native = join('src', 'model', 'native.ts');
  const seen = new Map<string, string | null>([[join('src', 'cli', 'main.ts'), null]]);
  const queue = [join('src', 'cli', 'main.ts')];
  while (queue.length > 0) {
    const m = queue.shift()!;
    for (const e of graph.get(m) ?? []) {
      if (e.kind !== 'value' || seen.has(e.to)) continue;
      seen.set(e.to, m);
      queue.push(e.to);
    }
  }
  const chain: string[] = [];
  for (let m: string | null | undefined = native; m; m = seen.get(m)) chain.unshift(m);
  assert.ok(!seen.has(native), `src/cli/main.ts loads the native core at start-up: ${chain.join(' → ')}`);
});
