// The run report's maps-over-training and embedding-evaluation sections: what the files in the run hold
// is what the page shows, and the page still loads nothing (checked in chromium too).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { MapItem } from '../../src/report/map-data.js';
import { writeMapFiles } from '../../src/report/map-files.js';
import { RUN_FILES } from '../../src/run/layout.js';
import { writeRunReport } from '../../src/report/run-report.js';
import { parseEmbeddingEval } from '../../src/run/records.js';
import { resolveTrainOptions } from '../../src/run/train-options.js';
import { createRunDir } from '../../src/run/config.js';
import { chromiumSkip, withPage } from '../helpers/chromium.js';
import { tempDir } from '../helpers/temp-dir.js';

const EVAL = {
  learned: {
    excerpt_mrr: 0.41234,
    excerpt_recall_at_1: 0.3,
    composer_knn_acc: 0.55,
    composer_probe_acc: 0.61,
    composer_macro_f1: 0.4,
    full_mrr: 0.9,
  },
  random_init: {
    excerpt_mrr: 0.2,
    excerpt_recall_at_1: 0.1,
    composer_knn_acc: 0.3,
    composer_probe_acc: 0.35,
    composer_macro_f1: 0.2,
    full_mrr: 0.5,
  },
  handcrafted: {
    excerpt_mrr: 0.6,
    excerpt_recall_at_1: 0.5,
    composer_knn_acc: 0.5,
    composer_probe_acc: 0.52,
    composer_macro_f1: 0.33,
    full_mrr: 0.99,
  },
  majority_acc: 0.25,
  queries: 120,
};

/** A run folder with no training yet, two maps over training and an embedding evaluation. */
async function runWithMaps(): Promise<string> {
  const run = join(tempDir('map-report'), 'run');
  createRunDir(run, {
    data: run,
    preset: 'fake',
    model: {},
    train: resolveTrainOptions({}),
    tokenizer: { path: 'none', sha256: '' },
  });
  const items: MapItem[] = Array.from({ length: 20 }, (_, i) => ({
    id: `p${i}`,
    composer: i % 2 ? 'Bach' : 'Chopin',
    title: `T${i}`,
    performer: '',
    piece: '',
    key: '',
    form: '',
    split: 'test',
  }));
  const panel = (s: number): { title: string; points: Array<[number, number]> } => ({
    title: `epoch ${s}`,
    points: items.map((_, i) => [Math.sin(i + s), Math.cos(2 * i - s)]),
  });
  for (const color of ['composer', 'split'] as const) {
    await writeMapFiles(
      { title: 'over training', color, items, panels: [panel(0), panel(4)] },
      join(run, RUN_FILES.maps, `over-training-tsne-${color}`),
    );
  }
  writeFileSync(join(run, 'embedding-eval-asap-test.json'), JSON.stringify(EVAL));
  return run;
}

test('the run report inlines every map of the run, links its interactive page, and tabulates the embedding evaluation', async () => {
  const run = await runWithMaps();
  const html = readFileSync(await writeRunReport(run), 'utf8');
  for (const color of ['composer', 'split']) {
    const svg = readFileSync(join(run, RUN_FILES.maps, `over-training-tsne-${color}.svg`), 'utf8');
    assert.ok(html.includes(svg), `${color} map inlined`);
    assert.ok(html.includes(`href="maps/over-training-tsne-${color}.html"`), `${color} page linked`);
  }
  assert.ok(!/<script|<link|src=|@import/i.test(html), 'the report must not load anything');
  const table = /<table id="embedding-eval-asap-test">(.*?)<\/table>/s.exec(html)![1];
  const cells = [...table.matchAll(/<tr>(.*?)<\/tr>/g)].map((r) =>
    [...r[1].matchAll(/<t[hd]>(.*?)<\/t[hd]>/g)].map((c) => c[1]),
  );
  const columns = [
    'excerpt_mrr',
    'excerpt_recall_at_1',
    'composer_knn_acc',
    'composer_probe_acc',
    'composer_macro_f1',
    'full_mrr',
  ];
  assert.deepEqual(cells[0], ['method', ...columns]);
  for (const [k, method] of (['learned', 'random_init', 'handcrafted'] as const).entries()) {
    assert.deepEqual(cells[k + 1], [
      method,
      ...columns.map((c) => (EVAL[method] as Record<string, number>)[c].toFixed(3)),
    ]);
  }
  assert.ok(html.includes('<h3>asap-test</h3>'));
  assert.ok(html.includes('majority_acc 0.250 · queries 120'));
});

test('an evaluation file without method objects is refused by name', () => {
  assert.throws(
    () => parseEmbeddingEval('embedding-eval.json', { majority_acc: 0.2 }),
    /embedding-eval.json: no method results/,
  );
});

test('the run report with maps renders offline in chromium', { skip: chromiumSkip }, async () => {
  const run = await runWithMaps();
  const report = await writeRunReport(run);
  await withPage(async ({ page, requests, errors }) => {
    const url = pathToFileURL(report).href;
    await page.goto(url);
    const sizes = await page.$$eval('figure.map > svg', (svgs) =>
      svgs.map((s) => s.getBoundingClientRect()).map((r) => [r.width, r.height]),
    );
    assert.equal(sizes.length, 2);
    for (const [w, h] of sizes) assert.ok(w > 500 && h > 300, `map drawn at ${w}×${h}`);
    assert.equal(
      await page.locator('figure.map circle, figure.map path[aria-roledescription="circle"]').count(),
      2 * 2 * 20,
    );
    assert.deepEqual(requests, [url]);
    assert.deepEqual(errors, []);
    // The link leads to the interactive page, which draws both panels.
    await page.locator('#map-over-training-tsne-composer a').click();
    await page.waitForURL(/over-training-tsne-composer\.html$/);
    assert.equal(await page.locator('svg.map circle').count(), 2 * 20);
    await page.goBack();
    await page.locator('#map-over-training-tsne-composer').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(run, 'report.png'), fullPage: true });
    console.log(`# screenshot: ${join(run, 'report.png')}`);
  });
});
