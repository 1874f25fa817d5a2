/**
 * A real browser for the web tests: Debian's Chromium (`/usr/bin/chromium`, installed by
 * `.ci/run`) driven by playwright-core, headless, with a fresh profile that is removed on close.
 * The background-networking flags keep Chromium from calling out of this machine. `screenshot`
 * writes under `test-results/screenshots/` (ignored by git) so a run leaves pictures to look at;
 * `expectAccessible` runs axe-core on the page and fails on serious or critical violations.
 */
import AxeBuilder from '@axe-core/playwright';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const SCREENSHOTS_DIR = join(process.cwd(), 'test-results', 'screenshots');

export interface Browser {
  /** A new tab in a context of its own (its own storage), at 1280×800 unless given a viewport. */
  page(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'hub-chromium-'));
  const contexts: BrowserContext[] = [];
  // A persistent context is the only way to give Chromium its own user-data dir; every page
  // after the first gets a fresh incognito-like context from the same browser.
  const root = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const browser = root.browser();
  let firstUsed = false;
  return {
    async page(viewport = { width: 1280, height: 800 }) {
      if (!firstUsed || browser === null) {
        firstUsed = true;
        const page = root.pages()[0] ?? (await root.newPage());
        await page.setViewportSize(viewport);
        return page;
      }
      const context = await browser.newContext({ viewport });
      contexts.push(context);
      return context.newPage();
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await root.close().catch(() => undefined);
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  const path = join(SCREENSHOTS_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** axe-core on the page as it is now: no serious or critical violation. */
export async function expectAccessible(page: Page): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const serious = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(serious).toEqual([]);
}
