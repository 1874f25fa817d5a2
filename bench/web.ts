/**
 * Web pages benchmark (issue 12, part 4: "a page interactive within 1 s on loopback"): the built
 * hub (temporary storage, as the other benchmarks), the example ERP and the viewer
 * (examples/viewer-stack.ts, registered on that hub), and Debian's Chromium through
 * playwright-core. Each page is loaded BENCH_WEB_LOADS (5) times, every load in a fresh browser
 * context (empty cache, cookies and storage), already signed in where the page needs it: the
 * console's token is put in sessionStorage before its first script runs, the viewer's session
 * cookie is set by its own sign-in API, so only the page itself is timed.
 *
 * Time to interactive: navigation start → the page's main content visible with nothing of it
 * still loading (`aria-busy`), read in the page on the animation frame it is first seen. Beside it
 * `domInteractive` and `loadEventEnd` of the Navigation Timing API and the JavaScript bytes
 * transferred (Resource Timing). Target: the median under 1 s on every page.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { request } from 'undici';
import { COMMUNITY, DEMO_COMMUNITIES, startViewerStack } from '../examples/viewer-stack.js';
import { median } from './cpu.js';
import { round, startBuiltHub, type RunOptions } from './request-respond.js';

export const WEB_TARGET_MS = 1000;
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The console's sessionStorage key (web/src/console/api.ts). */
const CONSOLE_TOKEN_KEY = 'api-hub-admin-token';
const ACTION = '@layers:payments:Payables:getRelated';
/** A view's heading once signed in (the viewer's sign-in page has an h1 too, without the menu). */
const VIEWER_SIGNED_IN = 'body:has(nav[aria-label="menu"]) main h1';

interface PageSpec {
  name: string;
  url: string;
  /** The main content: visible, and no `[aria-busy="true"]` left in the document. */
  selector: string;
  /** Signs the fresh context in before the timed navigation. */
  signIn?(context: BrowserContext): Promise<void>;
}

export interface PageResult {
  name: string;
  url: string;
  loads: number;
  interactiveMs: { median: number; max: number };
  domInteractiveMs: { median: number; max: number };
  loadEventEndMs: { median: number; max: number };
  jsBytes: number;
  pass: boolean;
}

export interface WebResult {
  pass: boolean;
  targetMs: number;
  pages: PageResult[];
  /** Why nothing was measured (no Chromium at CHROMIUM_PATH), as the PostgreSQL peers are skipped. */
  skipped?: string;
}

interface Load {
  interactive: number;
  domInteractive: number;
  loadEventEnd: number;
  jsBytes: number;
}

const spread = (values: number[]) => ({ median: round(median(values), 1), max: round(Math.max(...values), 1) });

function loadsWanted(): number {
  const raw = process.env.BENCH_WEB_LOADS;
  const value = raw === undefined || raw === '' ? 5 : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error('BENCH_WEB_LOADS must be a whole number of at least 1');
  return value;
}

/** One load of `spec` in `context`: its figures, read in the page. */
async function measure(context: BrowserContext, spec: PageSpec): Promise<Load> {
  const page = await context.newPage();
  await page.goto(spec.url, { waitUntil: 'commit' });
  // Checked on every animation frame; yields the page's own clock (ms since navigation start).
  // The code is text, evaluated through the DevTools protocol: the pages' CSP forbids the eval
  // that waitForFunction's polling uses, and this project's TypeScript has no DOM types outside web/.
  const interactive = await page.evaluate<number>(`new Promise((resolve) => {
    const check = () => {
      const el = document.querySelector(${JSON.stringify(spec.selector)});
      const box = el?.getBoundingClientRect();
      const shown = box !== undefined && box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== 'hidden';
      if (shown && document.querySelector('[aria-busy="true"]') === null) resolve(performance.now());
      else requestAnimationFrame(check);
    };
    check();
  })`);
  // loadEventEnd is written just after the load handlers return: wait for it.
  await page.evaluate(`new Promise((resolve) => {
    const check = () => ((performance.getEntriesByType('navigation')[0]?.loadEventEnd ?? 0) > 0 ? resolve() : setTimeout(check, 10));
    check();
  })`);
  const timing = await page.evaluate<Omit<Load, 'interactive'>>(`(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const js = performance.getEntriesByType('resource').filter((r) => /\\.m?js$/.test(new URL(r.name).pathname));
    return { domInteractive: nav.domInteractive, loadEventEnd: nav.loadEventEnd, jsBytes: js.reduce((sum, r) => sum + r.transferSize, 0) };
  })()`);
  await page.close();
  return { interactive, ...timing };
}

export async function runWeb(options: RunOptions): Promise<WebResult> {
  const loads = loadsWanted();
  if (!existsSync(CHROMIUM_PATH)) return { pass: true, targetMs: WEB_TARGET_MS, pages: [], skipped: `no Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH)` };
  const adminToken = `bench_admin_${randomBytes(16).toString('hex')}`;
  const hub = await startBuiltHub({ HUB_ADMIN_TOKEN: adminToken, HUB_RATE_LIMIT: '0', LOG_LEVEL: 'warn', NODE_ENV: 'production' });
  const profile = await mkdtemp(join(tmpdir(), 'bench-chromium-'));
  let stack: Awaited<ReturnType<typeof startViewerStack>> | undefined;
  let root: BrowserContext | undefined;
  try {
    stack = await startViewerStack({ hub: { url: hub.url, adminToken } });
    const catalog = await request(`${hub.url}/v1/catalog/actions.json`).then(
      (res) => res.body.json() as Promise<{ actions: { id: string; versions: { version: number }[] }[] }>,
    );
    const version = Math.max(...(catalog.actions.find((a) => a.id === ACTION)?.versions.map((v) => v.version) ?? [1]));
    const person = DEMO_COMMUNITIES[0]!.people[0]!;
    const viewerUrl = stack.viewerUrl;
    const viewerSignIn = async (context: BrowserContext) => {
      const res = await context.request.post(`${viewerUrl}/api/session`, { data: { community: COMMUNITY, person: person.id } });
      if (!res.ok()) throw new Error(`viewer sign-in: ${res.status()} ${await res.text()}`);
    };
    const pages: PageSpec[] = [
      { name: 'reference: index', url: `${hub.url}/reference/`, selector: '.action-list li a' },
      {
        name: 'reference: action',
        url: `${hub.url}/reference/#/actions/${encodeURIComponent(ACTION)}/${version}`,
        selector: 'table:has(> caption)',
      },
      {
        name: 'console: overview',
        url: `${hub.url}/console/`,
        // Signed in: the console's navigation is there (the sign-in page has an h1 too).
        selector: 'body:has(nav[aria-label="Console"]) main h1',
        signIn: async (context) => {
          await context.addInitScript(`sessionStorage.setItem(${JSON.stringify(CONSOLE_TOKEN_KEY)}, ${JSON.stringify(adminToken)})`);
        },
      },
      { name: 'viewer: home', url: `${viewerUrl}/#/home`, selector: VIEWER_SIGNED_IN, signIn: viewerSignIn },
      { name: 'viewer: bills', url: `${viewerUrl}/#/payables`, selector: VIEWER_SIGNED_IN, signIn: viewerSignIn },
    ];

    // The persistent context only gives Chromium its own profile; every load gets a fresh context.
    root = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
    });
    const browser = root.browser();
    if (browser === null) throw new Error('Chromium gave no browser for new contexts');
    const results: PageResult[] = [];
    for (const spec of pages) {
      const runs: Load[] = [];
      for (let i = 0; i < loads; i++) {
        const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        try {
          await spec.signIn?.(context);
          runs.push(await measure(context, spec));
        } finally {
          await context.close();
        }
      }
      const interactiveMs = spread(runs.map((r) => r.interactive));
      results.push({
        name: spec.name,
        url: spec.url.replace(/^http:\/\/127\.0\.0\.1:\d+/, ''),
        loads,
        interactiveMs,
        domInteractiveMs: spread(runs.map((r) => r.domInteractive)),
        loadEventEndMs: spread(runs.map((r) => r.loadEventEnd)),
        jsBytes: median(runs.map((r) => r.jsBytes)),
        pass: interactiveMs.median < WEB_TARGET_MS,
      });
      options.log(`  ${spec.name}: interactive median ${interactiveMs.median} ms`);
    }
    return { pass: results.every((r) => r.pass), targetMs: WEB_TARGET_MS, pages: results };
  } finally {
    await root?.close().catch(() => undefined);
    await rm(profile, { recursive: true, force: true });
    await stack?.close();
    await hub.stop();
  }
}

export function formatWeb(result: WebResult): string {
  if (result.skipped !== undefined) return `Web pages: skipped, ${result.skipped}`;
  const header = `| page | interactive median / max ms | domInteractive median / max ms | loadEventEnd median / max ms | JS transferred | target ${result.targetMs} ms |`;
  const rows = result.pages.map(
    (p) =>
      `| ${p.name} (${p.url}) | ${p.interactiveMs.median} / ${p.interactiveMs.max} | ${p.domInteractiveMs.median} / ${p.domInteractiveMs.max} | ${p.loadEventEndMs.median} / ${p.loadEventEndMs.max} | ${(p.jsBytes / 1024).toFixed(1)} KiB | ${p.pass ? 'PASS' : 'MISS'} |`,
  );
  return [`Web pages, ${result.pages[0]?.loads ?? 0} loads each, fresh context per load`, header, '|---|---|---|---|---|---|', ...rows].join('\n');
}
