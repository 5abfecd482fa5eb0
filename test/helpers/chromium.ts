// Headless Debian chromium through playwright-core for tests of browser-facing pages: one launch recipe
// (fresh profile, no background traffic) that records every request and every console or page error.
// Not a page-object library: tests query the page themselves.
import { existsSync } from 'node:fs';
import { chromium, type Page } from 'playwright-core';
import { tempDir } from './temp-dir.js';

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM = '/usr/bin/chromium';

/** `skip` value for node:test: false when chromium is there, else the visible reason. */
export const chromiumSkip: string | false = existsSync(CHROMIUM)
  ? false
  : `no ${CHROMIUM} (apt-get install -y chromium): browser test skipped`;

/** A page and what it did: every requested URL, and every console error or uncaught exception. */
export interface RecordedPage {
  page: Page;
  requests: string[];
  errors: string[];
}

/** Runs `fn` on a fresh page of a fresh headless chromium profile, and closes the browser afterwards. */
export async function withPage<T>(
  fn: (p: RecordedPage) => Promise<T>,
  viewport = { width: 1280, height: 800 },
): Promise<T> {
  const profile = tempDir('chromium');
  // Playwright takes the profile folder as an argument of its own rather than as --user-data-dir.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const recorded: RecordedPage = { page, requests: [], errors: [] };
    page.on('request', (r) => recorded.requests.push(r.url()));
    page.on('console', (m) => m.type() === 'error' && recorded.errors.push(m.text()));
    page.on('pageerror', (e) => recorded.errors.push(e.message));
    return await fn(recorded);
  } finally {
    await context.close();
  }
}
