// The run report in a real headless browser (Debian chromium through playwright-core): it renders
// offline, requests nothing but its own file, logs no errors, and both curves have a drawn size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeRunReport } from '../../src/report/run-report.js';
import { resolveTrainOptions } from '../../src/run/train-options.js';
import { createRunDir } from '../../src/run/config.js';
import { train } from '../../src/train/trainer.js';
import { chromiumSkip, withPage } from '../helpers/chromium.js';
import { bigramSource } from '../helpers/bigram-model.js';
import { tempDir } from '../helpers/temp-dir.js';

test(
  'report.html renders offline in chromium with both curves and the epoch table',
  { skip: chromiumSkip },
  async () => {
    const run = join(tempDir('browser'), 'run');
    const options = resolveTrainOptions({ batchSize: 2, seqLen: 6, epochs: 3, snapshotEpochs: [] });
    createRunDir(run, {
      data: run,
      preset: 'fake',
      model: {},
      train: options,
      tokenizer: { path: 'none', sha256: '' },
    });
    const pieces = [Int32Array.of(3, 4, 5, 6, 7, 3, 4), Int32Array.of(5, 6, 7, 3, 4, 5)];
    await train({
      runDir: run,
      options,
      data: { train: pieces, validation: pieces, framing: { padId: 0, bosId: 1, eosId: 2 } },
      models: bigramSource(8, 0),
      schedule: () => 0.3,
    });
    const report = await writeRunReport(run);

    await withPage(async ({ page, requests, errors }) => {
      const url = pathToFileURL(report).href;
      await page.goto(url);
      assert.deepEqual(requests, [url]);
      assert.deepEqual(errors, []);
      const sizes = await page.$$eval('.curves > svg', (svgs) =>
        svgs.map((s) => s.getBoundingClientRect()).map((r) => [r.width, r.height]),
      );
      assert.equal(sizes.length, 2);
      for (const [w, h] of sizes) assert.ok(w > 200 && h > 150, `curve drawn at ${w}×${h}`);
      assert.equal(await page.$$eval('#epochs tbody tr', (trs) => trs.length), 4, 'epochs 0..3 in the table');
    });
  },
);
