// The explorer under hostile input, over real HTTP: random and damaged bodies, wrong content types, odd and
// encoded ids, traversal attempts on every route and on the static files, random query strings. Bounded
// (a fixed number of seeded requests): every answer is 2xx or 4xx, API refusals are JSON, no file outside
// the store and the page is ever served, and the server stays up. Then a bounded load: 400 `similar`
// requests at concurrency 20, all answered correctly (bench/serve-load.mjs measures latency and memory).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { serveExplorer, type ServedExplorer } from './fixtures.js';

let ex: ServedExplorer;
before(async () => {
  ex = await serveExplorer();
});
after(() => ex.close());

/** Text found only in files that must never be served: the repo's package.json, the system's passwd. */
const FORBIDDEN = [/"name": "motif"/, /root:x:0:0/];

const segment = fc.oneof(
  fc.constantFrom(
    '..',
    '%2e%2e',
    '..%2f..%2f..%2fetc%2fpasswd',
    '%2e%2e%2f%2e%2e%2fpackage.json',
    '....//....//package.json',
    '%00',
    '%ff',
    'C4.mp3',
    'Tone.js',
    '',
    '.',
    '~',
    '%',
    '%zz',
  ),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.constant('Bach%2FPrelude_1%2FPerf00.mid'),
);
const path = fc.oneof(
  segment.map((s) => `/api/pieces/${s}/midi`),
  segment.map((s) => `/api/pieces/${s}/notes`),
  segment.map((s) => `/api/pieces/${s}/similar`),
  segment.map((s) => `/vendor/${s}`),
  segment.map((s) => `/vendor/piano/${s}`),
  fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`),
  fc.constantFrom('/api/similar', '/api/notes', '/api/generate', '/api/health', '/api/pieces', '/'),
);
const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom(
    '?k=5',
    '?k=-1',
    '?k=1e9',
    '?k=abc',
    '?k=',
    '?seconds=1',
    '?seconds=0',
    '?seconds=NaN',
    '?temperature=-1',
    '?top_p=2',
    '?seed=1.5',
    '?x=%00',
  ),
  fc.string({ maxLength: 20 }).map((s) => `?${encodeURIComponent(s)}=${encodeURIComponent(s)}`),
);

test('hostile requests: never a 5xx, never a file from outside, the server stays up', async () => {
  const midi = readFileSync(join(ex.data, ex.ids[0]));
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 2000 }),
    fc.integer({ min: 0, max: midi.length }).map((n) => midi.subarray(0, n)), // truncated
    fc.array(fc.tuple(fc.nat(midi.length - 1), fc.nat(255)), { minLength: 1, maxLength: 12 }).map((flips) => {
      const m = Uint8Array.from(midi);
      for (const [at, v] of flips) m[at] = v; // damaged bytes in a real file
      return m;
    }),
    fc.constantFrom(new TextEncoder().encode('{"notes": []}'), new TextEncoder().encode('MThd'), new Uint8Array(0)),
  );
  const type = fc.constantFrom(
    'audio/midi',
    'application/octet-stream',
    'application/json',
    'text/plain',
    'multipart/form-data; boundary=x',
    '',
  );
  let requests = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
      path,
      query,
      body,
      type,
      async (method, p, q, b, t) => {
        // Continuations are kept to a second of music so the run stays bounded.
        const qs = p === '/api/generate' ? `${q}${q ? '&' : '?'}seconds=1` : q;
        const init: RequestInit = { method, headers: t ? { 'content-type': t } : {} };
        if (method !== 'GET') init.body = b;
        const res = await fetch(`${ex.base}${p}${qs}`, init);
        const text = await res.text();
        requests++;
        assert.ok(
          res.status < 500,
          `${method} ${p}${qs} (${t}, ${b.length} bytes) → ${res.status}: ${text.slice(0, 200)}`,
        );
        for (const f of FORBIDDEN) assert.doesNotMatch(text, f, `${method} ${p}${qs} served a forbidden file`);
        if (res.status >= 400 && p.startsWith('/api/'))
          assert.equal(typeof (JSON.parse(text) as { error: unknown }).error, 'string');
      },
    ),
    { numRuns: 600, seed: 20261204 },
  );
  assert.equal(requests, 600);
  assert.equal((await fetch(`${ex.base}/api/health`)).status, 200);
});

test('bounded load: 400 similar requests at concurrency 20, every answer right', async () => {
  const expected = new Map<string, string[]>();
  for (const id of ex.ids) {
    const r = (await (await fetch(`${ex.base}/api/pieces/${encodeURIComponent(id)}/similar?k=5`)).json()) as {
      neighbours: Array<{ id: string }>;
    };
    expected.set(
      id,
      r.neighbours.map((n) => n.id),
    );
  }
  let next = 0,
    done = 0;
  const worker = async (): Promise<void> => {
    while (next < 400) {
      const id = ex.ids[next++ % ex.ids.length];
      const res = await fetch(`${ex.base}/api/pieces/${encodeURIComponent(id)}/similar?k=5`);
      assert.equal(res.status, 200);
      assert.deepEqual(
        ((await res.json()) as { neighbours: Array<{ id: string }> }).neighbours.map((n) => n.id),
        expected.get(id),
      );
      done++;
    }
  };
  await Promise.all(Array.from({ length: 20 }, worker));
  assert.equal(done, 400);
});
