import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { alignTo } from '../../src/report/map-align.js';
import { checkMapData, mapGroups, OTHER, UNKNOWN, type MapData, type MapItem } from '../../src/report/map-data.js';
import { writeMapFiles } from '../../src/report/map-files.js';
import { pickSnapshots } from '../../src/report/map-snapshots.js';
import { listSnapshots } from '../../src/run/checkpoints.js';
import { tempDir } from '../helpers/temp-dir.js';

const COMPOSERS = ['Bach', 'Chopin', 'Liszt', '', 'Beethoven', 'Chopin'];

/** n items with composers cycling through COMPOSERS (empty = unknown) and a title that tries to break out of HTML. */
function items(n: number): MapItem[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `p${i}.mid`,
    composer: COMPOSERS[i % COMPOSERS.length],
    title: `Étude ${i} </script><b>`,
    performer: `P${i % 3}`,
    piece: `w${i % 4}`,
    key: i % 2 ? 'C major' : '',
    form: 'etude',
    split: 'test',
  }));
}

/** A deterministic cloud: point i of a panel seeded by s. */
const cloud = (n: number, s: number): Array<[number, number]> =>
  Array.from({ length: n }, (_, i) => [Math.sin(i * 12.9898 + s) * 43.7, Math.cos(i * 78.233 + s) * 17.1 + i * 0.01]);

test('colour groups: largest first, ties by name, unknown last and grey, overflow merged into "other"', () => {
  const g = mapGroups(items(12), 'composer');
  assert.deepEqual(g.names, ['Chopin', 'Bach', 'Beethoven', 'Liszt', UNKNOWN]);
  const labels = items(12).map((it) => it.composer || UNKNOWN);
  assert.deepEqual(
    Array.from(g.of, (k) => g.names[k]),
    labels,
  );
  assert.equal(new Set(g.colors.slice(0, 4)).size, 4);
  assert.equal(g.colors[4], '#c7c7c7');

  // 30 distinct composers, composer k having k+1 pieces: the 23 largest keep colours, 7 smallest are "other".
  const many = Array.from({ length: 30 }, (_, k) =>
    Array.from({ length: k + 1 }, () => ({ ...items(1)[0], composer: `C${k}` })),
  ).flat();
  const m = mapGroups(many, 'composer');
  assert.equal(m.names.length, 24);
  assert.equal(m.names[0], 'C29');
  assert.equal(m.names[23], OTHER);
  assert.equal(new Set(m.colors).size, 24);
  assert.equal(Array.from(m.of).filter((k) => m.names[k] === OTHER).length, 1 + 2 + 3 + 4 + 5 + 6 + 7);
});

test('map data is checked: one finite point per item in every panel', () => {
  const it = items(3);
  assert.throws(
    () => checkMapData({ title: 't', color: 'composer', items: it, panels: [{ title: 'a', points: cloud(2, 0) }] }),
    /panel "a": 2 points for 3 items/,
  );
  assert.throws(
    () =>
      checkMapData({
        title: 't',
        color: 'composer',
        items: it,
        panels: [
          {
            title: 'b',
            points: [
              [0, 0],
              [1, NaN],
              [2, 2],
            ],
          },
        ],
      }),
    /point 1 \(p1.mid\)/,
  );
  assert.throws(() => checkMapData({ title: 't', color: 'composer', items: it, panels: [] }), /at least one panel/);
});

test('Procrustes alignment undoes any rotation, mirror and shift', () => {
  fc.assert(
    fc.property(
      fc.double({ min: -Math.PI, max: Math.PI, noNaN: true }),
      fc.boolean(),
      fc.double({ min: -50, max: 50, noNaN: true }),
      (theta, mirror, shift) => {
        const target = cloud(40, 1);
        const c = Math.cos(theta),
          s = Math.sin(theta);
        const moved = target.map(([x, y]): [number, number] => {
          const yy = mirror ? -y : y;
          return [c * x - s * yy + shift, s * x + c * yy - shift];
        });
        const back = alignTo(moved, target);
        // Alignment keeps the moved set's centroid; compare after centring both.
        const mean = (ps: Array<[number, number]>, k: 0 | 1): number => ps.reduce((a, p) => a + p[k], 0) / ps.length;
        const [bx, by, tx, ty] = [mean(back, 0), mean(back, 1), mean(target, 0), mean(target, 1)];
        back.forEach(([x, y], i) => {
          assert.ok(
            Math.abs(x - bx - (target[i][0] - tx)) < 1e-9 && Math.abs(y - by - (target[i][1] - ty)) < 1e-9,
            `point ${i} off after aligning θ=${theta} mirror=${mirror}`,
          );
        });
      },
    ),
    { numRuns: 50 },
  );
});

test('snapshots: first, nearest to half-way and last by default; asked-for epochs or a clear error', () => {
  const run = tempDir('snaps');
  for (const e of [0, 3, 4, 10, 2])
    mkdirSync(join(run, 'snapshots', `epoch-${String(e).padStart(4, '0')}`), { recursive: true });
  mkdirSync(join(run, 'snapshots', 'epoch-0010.tmp-1'));
  const all = listSnapshots(run);
  assert.deepEqual(
    all.map((s) => s.epoch),
    [0, 2, 3, 4, 10],
  );
  assert.deepEqual(
    pickSnapshots(all).map((s) => s.epoch),
    [0, 4, 10],
  );
  assert.deepEqual(
    pickSnapshots(all.slice(0, 1)).map((s) => s.epoch),
    [0],
  );
  assert.deepEqual(
    pickSnapshots([all[0], all[4]]).map((s) => s.epoch),
    [0, 10],
  );
  assert.deepEqual(
    pickSnapshots(all, [10, 2]).map((s) => s.epoch),
    [10, 2],
  );
  assert.throws(() => pickSnapshots(all, [5], run), /no snapshot of epoch 5 \(available: 0, 2, 3, 4, 10\)/);
  assert.throws(() => pickSnapshots([], undefined, run), /no snapshots/);
});

/** The drawn points of each panel of a Vega SVG, in data order: pixel position, fill and the colour-field label. */
function svgPanels(svg: string): Array<Array<{ px: number; py: number; fill: string; group: string }>> {
  return [...svg.matchAll(/class="mark-symbol role-mark[^"]*"[^>]*>(.*?)<\/g>/g)].map((m) =>
    [
      ...m[1].matchAll(
        /<path aria-label="([^"]*)"[^>]*transform="translate\(([-\d.e]+),([-\d.e]+)\)"[^>]*fill="([^"]+)"/g,
      ),
    ].map((p) => ({
      group: /composer: ([^;]*)$/.exec(p[1])![1],
      px: Number(p[2]),
      py: Number(p[3]),
      fill: p[4],
    })),
  );
}

test('static SVG draws every point of every panel in its group colour, placed by its coordinates, with a legend', async () => {
  const n = 60;
  const data: MapData = {
    title: 'map',
    color: 'composer',
    items: items(n),
    panels: [0, 1, 2].map((s) => ({ title: `epoch ${s * 5}`, points: cloud(n, s) })),
  };
  const dir = tempDir('map');
  const files = await writeMapFiles(data, join(dir, 'sub', 'map'));
  const svg = readFileSync(files.svg, 'utf8');
  const groups = mapGroups(data.items, 'composer');
  const panels = svgPanels(svg);
  assert.equal(panels.length, 3);
  panels.forEach((drawn, pi) => {
    assert.equal(drawn.length, n);
    const pts = data.panels[pi].points;
    // Pixel x grows with x and pixel y falls with y, both by one affine map per panel.
    const [a, b] = [0, n - 1].map((i) => drawn[i]);
    const sx = (b.px - a.px) / (pts[n - 1][0] - pts[0][0]);
    const sy = (b.py - a.py) / (pts[n - 1][1] - pts[0][1]);
    assert.ok(sx > 0 && sy < 0);
    drawn.forEach((d, i) => {
      assert.ok(Math.abs(d.px - (a.px + sx * (pts[i][0] - pts[0][0]))) < 0.01, `panel ${pi} point ${i} x`);
      assert.ok(Math.abs(d.py - (a.py + sy * (pts[i][1] - pts[0][1]))) < 0.01, `panel ${pi} point ${i} y`);
      assert.equal(d.group, groups.names[groups.of[i]]);
      assert.equal(d.fill, groups.colors[groups.of[i]]);
    });
  });
  const legend = [...svg.matchAll(/class="mark-text role-legend-label"[^>]*>(.*?)<\/g>/g)]
    .map((m) => [...m[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]))
    .flat();
  assert.deepEqual(legend, groups.names);
  for (const t of ['epoch 0', 'epoch 5', 'epoch 10']) assert.ok(svg.includes(`>${t}</text>`), `panel title ${t}`);
});

test('interactive HTML carries every item and point, loads nothing, and no label can close its script', async () => {
  const n = 25;
  const data: MapData = {
    title: 'map <of> "pieces"',
    color: 'composer',
    items: items(n),
    panels: [{ title: 'only', points: cloud(n, 3) }],
  };
  const files = await writeMapFiles(data, join(tempDir('map'), 'm'));
  const html = readFileSync(files.html, 'utf8');
  assert.equal((html.match(/<\/script>/g) ?? []).length, 2, 'only the two script elements close');
  assert.ok(
    !/\bsrc=|<link|@import|https?:\/\/(?!www\.w3\.org\/2000\/svg)/i.test(html),
    'the page must not load anything',
  );
  const block = /<script type="application\/json" id="map-data">(.*?)<\/script>/s.exec(html)![1];
  const page = JSON.parse(block) as { items: string[][]; panels: Array<{ xy: number[] }> };
  assert.deepEqual(
    page.items.map((r) => r.slice(0, 8)),
    data.items.map((it) => [it.id, it.composer, it.title, it.performer, it.piece, it.key, it.form, it.split]),
  );
  page.panels[0].xy.forEach((v, k) => {
    const want = data.panels[0].points[k >> 1][k & 1];
    assert.ok(Math.abs(v - want) <= Math.abs(want) * 1e-4, `coordinate ${k}`);
  });
});
