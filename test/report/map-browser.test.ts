// The interactive map page in headless chromium: every point drawn in every panel, hover tooltips, linked
// selection with details, legend filtering, zoom about the cursor and panning, no requests, no errors.
// Leaves a screenshot in a temp folder (its path is printed) for a look by eye.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { mapGroups, type MapData, type MapItem } from '../../src/report/map-data.js';
import { writeMapFiles } from '../../src/report/map-files.js';
import { chromiumSkip, withPage } from '../helpers/chromium.js';
import { tempDir } from '../helpers/temp-dir.js';

const COMPOSERS = ['Bach', 'Chopin', 'Liszt', 'Beethoven', 'Schubert'];
const N = 120;
const items: MapItem[] = Array.from({ length: N }, (_, i) => ({
  id: `asap/${i}.mid`,
  composer: COMPOSERS[(i * 7) % 5],
  title: `Piece ${i}`,
  performer: `Player${i % 4}`,
  piece: `work-${i % 30}`,
  key: '',
  form: 'sonata',
  split: 'test',
}));
// A jittered grid: points never overlap, so each can be hovered; panels differ by a shear.
const grid = (shear: number): Array<[number, number]> =>
  items.map((_, i) => [(i % 12) + shear * Math.floor(i / 12), Math.floor(i / 12) + 0.2 * Math.sin(i)]);
const data: MapData = {
  title: 'Test map',
  color: 'composer',
  items,
  panels: [0, 0.3, 0.6].map((s, k) => ({ title: `epoch ${k * 5}`, points: grid(s) })),
};

/** Screen centre of item i's circle in panel p. */
async function centre(page: Page, p: number, i: number): Promise<[number, number]> {
  const box = (await page.locator(`svg.map[data-panel="${p}"] circle[data-i="${i}"]`).boundingBox())!;
  return [box.x + box.width / 2, box.y + box.height / 2];
}

/** Indices of the items marked with `cls` in panel p. */
const marked = (page: Page, p: number, cls: string): Promise<number[]> =>
  page.$$eval(`svg.map[data-panel="${p}"] circle.${cls}`, (cs) => cs.map((c) => Number(c.getAttribute('data-i'))));

test(
  'interactive map in chromium: points, hover, selection, legend filter, zoom and pan, offline',
  { skip: chromiumSkip },
  async () => {
    const dir = tempDir('map-browser');
    const files = await writeMapFiles(data, join(dir, 'map'));
    const groups = mapGroups(items, 'composer');
    await withPage(async ({ page, requests, errors }) => {
      const url = pathToFileURL(files.html).href;
      await page.goto(url);
      for (let p = 0; p < 3; p++)
        assert.equal(await page.locator(`svg.map[data-panel="${p}"] circle`).count(), N, `panel ${p} points`);
      assert.deepEqual(await page.locator('#legend li .name').allTextContents(), groups.names);

      // Hover: the tooltip names the piece, and the piece is marked in every panel.
      const [hx, hy] = await centre(page, 1, 37);
      await page.mouse.move(hx, hy);
      const tip = page.locator('#tooltip');
      assert.ok(await tip.isVisible());
      const tipText = await tip.innerText();
      for (const s of [items[37].title, items[37].composer, items[37].performer])
        assert.ok(tipText.includes(s), `tooltip "${tipText}" lacks ${s}`);
      for (let p = 0; p < 3; p++) assert.deepEqual(await marked(page, p, 'hover'), [37]);

      // Click: selected in every panel, details listed; a click on empty space clears it.
      await page.mouse.click(hx, hy);
      for (let p = 0; p < 3; p++) assert.deepEqual(await marked(page, p, 'selected'), [37]);
      const details = await page.locator('#details').innerText();
      for (const s of [items[37].id, items[37].piece, items[37].performer])
        assert.ok(details.includes(s), `details lack ${s}`);

      // Zoom about the cursor: the hovered point stays under it while its neighbours move apart.
      const [nx0] = await centre(page, 1, 38);
      const other = await centre(page, 0, 37);
      await page.mouse.wheel(0, -400);
      const [zx, zy] = await centre(page, 1, 37);
      assert.ok(
        Math.abs(zx - hx) < 1 && Math.abs(zy - hy) < 1,
        `zoom moved the point under the cursor by ${zx - hx}, ${zy - hy}`,
      );
      const [nx1] = await centre(page, 1, 38);
      assert.ok(nx1 - zx > 1.5 * (nx0 - hx), 'zooming in spreads the points');
      assert.deepEqual(await centre(page, 0, 37), other, 'other panels keep their zoom');

      // Pan: a drag moves every point by the drag; it is not a click, so the selection stays.
      const [bx, by] = await centre(page, 1, 0);
      await page.mouse.move(hx, hy);
      await page.mouse.down();
      await page.mouse.move(hx + 30, hy + 20, { steps: 5 });
      await page.mouse.up();
      const [ax, ay] = await centre(page, 1, 0);
      assert.ok(
        Math.abs(ax - bx - 30) < 1 && Math.abs(ay - by - 20) < 1,
        `pan moved a point by ${ax - bx}, ${ay - by}`,
      );
      assert.deepEqual(await marked(page, 0, 'selected'), [37]);

      // Legend: a click hides the group in every panel, a second click shows it again.
      const chopin = items.filter((it) => it.composer === 'Chopin').length;
      await page.locator('#legend li[data-group="Chopin"]').click();
      assert.equal(await page.locator('svg.map circle:visible').count(), 3 * (N - chopin));
      const shown = await page.$$eval('svg.map circle:visible', (cs) =>
        cs.map((c) => Number(c.getAttribute('data-i'))),
      );
      assert.ok(shown.every((i) => items[i].composer !== 'Chopin'));
      await page.screenshot({ path: join(dir, 'map-filtered.png') });
      // The keyboard toggles an entry too.
      await page.locator('#legend li[data-group="Chopin"]').focus();
      await page.keyboard.press('Enter');
      assert.equal(await page.locator('svg.map circle:visible').count(), 3 * N);

      await page.dblclick(`svg.map[data-panel="1"]`, { position: { x: 5, y: 5 } });
      await page.mouse.move(...(await centre(page, 2, 5)));
      await page.screenshot({ path: join(dir, 'map.png') });
      assert.deepEqual(requests, [url], 'the page requests nothing but itself');
      assert.deepEqual(errors, []);
    });
    console.log(`# screenshots: ${join(dir, 'map.png')}, ${join(dir, 'map-filtered.png')}`);
  },
);
