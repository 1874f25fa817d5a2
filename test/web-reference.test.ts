/**
 * The action reference in a real browser against a hub on a real port with a real SQLite file:
 * the index's search and filters, an action's field tables, curl and envelope, a custom action
 * (and a breaking new definition) appearing without a restart, a deprecated version marked, the page headers and the static
 * serving (precompressed, cached, a 503 when the build is missing), the JavaScript budget, axe-core,
 * and screenshots.
 */
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { SCREENSHOTS_DIR, expectAccessible, launchBrowser, screenshot, type Browser } from './support/browser.js';
import { startHub, type TestHub } from './support/hub.js';
import { buildWeb, type WebBuild } from './support/web.js';

let web: WebBuild;
let hub: TestHub;
let browser: Browser;

beforeAll(async () => {
  web = await buildWeb();
  hub = await startHub({}, undefined, { webDir: web.dir });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

const GRADES = '@layers:education:GradeBooks:getRelated';

describe('the web build', () => {
  it('keeps each app under 250 KB of gzipped initial JavaScript, and prints the figures', () => {
    expect(web.output).toMatch(/web budget: reference initial JS \d+\.\d KB gzipped \(budget 250 KB\)/);
    expect(web.output).toMatch(/web budget: console initial JS \d+\.\d KB gzipped \(budget 250 KB\)/);
    expect(web.budget.reference).toBeGreaterThan(1000);
    expect(web.budget.reference).toBeLessThan(250 * 1024);
    expect(web.budget.console).toBeLessThan(250 * 1024);
  });
});

describe('serving the pages', () => {
  it('sends the HTML uncached and the hashed assets immutable, precompressed, under a CSP without inline scripts', async () => {
    const page = await hub.send('GET', '/reference/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'",
    );
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const script = /<script type="module" crossorigin src="(\/reference\/assets\/[^"]+\.js)"><\/script>/.exec(page.text)![1]!;
    const plain = await hub.send('GET', script);
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['content-encoding']).toBeUndefined();
    const gzipped = await hub.send('GET', script, { headers: { 'accept-encoding': 'gzip' } });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toBe('accept-encoding');
    expect((await hub.send('GET', script, { headers: { 'accept-encoding': 'gzip, br' } })).headers['content-encoding']).toBe('br');
    // undici does not decode: the gzip body is the plain file, compressed.
    const { request } = await import('undici');
    const raw = await request(`${hub.url}${script}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(gunzipSync(Buffer.from(await raw.body.arrayBuffer())).toString('utf8')).toBe(plain.text);
    expect((await hub.send('GET', '/reference')).headers.location).toBe('/reference/');
    const missing = await hub.send('GET', '/reference/assets/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      status: 404,
      type: 'NotFound',
      name: 'Not Found',
      error: 'no file "assets/nope.js" in /reference/',
      requestId: missing.headers['x-request-id'],
    });
    expect((await hub.send('GET', '/reference/assets/..%2f..%2fpackage.json')).status).toBe(404);
  });

  it('answers 503 saying to run npm run build when the web build is missing, and keeps serving the API', async () => {
    const bare = await startHub({}, undefined, { webDir: `${web.dir}-absent` });
    try {
      for (const path of ['/reference/', '/console/', '/console/assets/index.js']) {
        const answer = await bare.send('GET', path);
        expect(answer.status).toBe(503);
        expect(answer.body).toEqual({
          status: 503,
          type: 'ServiceUnavailable',
          name: 'Service Unavailable',
          error: `the web pages are not built: run \`npm run build\` (looked for ${web.dir}-absent/${path.split('/')[1]})`,
          requestId: answer.headers['x-request-id'],
        });
      }
      expect((await bare.send('GET', '/v1/catalog/actions.json')).status).toBe(200);
    } finally {
      await bare.close();
    }
  });
});

describe('the reference', () => {
  it('lists every action, searches by id, title and field name, and filters by kind and namespace', async () => {
    const page = await browser.page();
    const problems: string[] = [];
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${hub.url}/reference/`);
    await page.getByRole('heading', { name: 'Action reference' }).waitFor();
    const catalog = (await hub.send('GET', '/v1/catalog/actions.json')).body.actions as Array<{ id: string; kind: string }>;
    const items = page.locator('.action-list li');
    await expect.poll(() => items.count()).toBe(catalog.length);
    await expectAccessible(page);
    await screenshot(page, 'reference-index');

    // A field name only the Entrance actions declare.
    await page.getByLabel('Search').fill('occurredAfter');
    await expect.poll(() => items.locator('a').allTextContents()).toEqual(['@layers:education:Entrance:getRelated']);
    await page.getByLabel('Search').fill('grade');
    await expect.poll(() => items.locator('a').allTextContents()).toContain(GRADES);
    await page.getByLabel('Search').fill('');
    await page.getByLabel('Kind').selectOption('event');
    await expect.poll(() => items.locator('a').allTextContents()).toEqual(catalog.filter((a) => a.kind === 'event').map((a) => a.id));
    await page.getByLabel('Kind').selectOption('');
    await page.getByLabel('Namespace').selectOption('@layers:payments');
    await expect.poll(() => items.locator('a').allTextContents()).toEqual(catalog.filter((a) => a.id.startsWith('@layers:payments:')).map((a) => a.id));
    // Nothing the page does is refused by its Content-Security-Policy (it would say so here).
    await page.getByRole('link', { name: '@layers:payments:Payables:getRelated' }).click();
    await page.getByRole('table', { name: 'Response fields' }).waitFor();
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it("shows an action's request and response as field tables, its examples, curl and envelope", async () => {
    const page = await browser.page();
    await page.goto(`${hub.url}/reference/`);
    await page.getByRole('link', { name: GRADES }).click();
    await page.getByRole('heading', { name: 'Request', exact: true }).waitFor();
    const request = page.getByRole('table', { name: 'Request fields' });
    const userId = request.getByRole('row').filter({ has: page.getByRole('cell', { name: 'user.id', exact: true }) });
    expect(await userId.getByRole('cell').allTextContents()).toEqual([
      expect.stringContaining('user.id'),
      'string',
      'yes',
      expect.any(String),
      expect.any(String),
    ]);
    const response = page.getByRole('table', { name: 'Response fields' });
    expect(await response.getByRole('row').count()).toBeGreaterThan(5);
    const command = await page.getByLabel('Command').textContent();
    expect(command).toContain(`curl -sS '${hub.url}/v1/services/discover/${GRADES}?version=1'`);
    expect(command).toContain(`-X POST '${hub.url}/v1/services/call/${GRADES}/$PROVIDER?version=1'`);
    expect(command).toContain('"alias":"carla.mendes"');
    expect(await page.getByText('"requestId"').count()).toBe(1);
    await page.getByText('Request schema (dataSchema)').click();
    expect(await page.getByText('"$schema": "https://json-schema.org/draft/2020-12/schema"').count()).toBeGreaterThan(0);
    await expectAccessible(page);
    await screenshot(page, 'reference-action');
    // The first screen only, as a reader sees it on arrival (the README shows it).
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(SCREENSHOTS_DIR, 'reference-action-top.png') });
    await page.setViewportSize({ width: 390, height: 844 });
    await expectAccessible(page);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBe(390);
    await screenshot(page, 'reference-action-phone');
    await page.close();
  }, 120_000);

  it('shows a custom action defined through the admin API without a restart, and what a new version changed', async () => {
    const id = '@acme:Lunch:getMenu';
    const v1 = {
      kind: 'request',
      title: 'The lunch menu <b>of the day</b>',
      description: 'What the canteen serves.',
      dataSchema: { type: 'object', required: ['day'], properties: { day: { type: 'string', format: 'date', description: 'The day asked.' } } },
      responseSchema: {
        type: 'object',
        properties: { dishes: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 80 } } } } },
      },
    };
    const page = await browser.page();
    await page.goto(`${hub.url}/reference/`);
    await page.getByRole('heading', { name: 'Action reference' }).waitFor();
    expect(await page.getByRole('link', { name: id }).count()).toBe(0);
    expect((await hub.admin('PUT', `/actions/${id}/versions/1`, v1)).status).toBe(201);
    const v2 = { ...v1, dataSchema: { ...v1.dataSchema, properties: { day: { type: 'integer' } } } };
    expect((await hub.admin('PUT', `/actions/${id}/versions/2`, v2)).status).toBe(201);

    await page.reload();
    await page.getByRole('link', { name: id }).click();
    await page.getByRole('heading', { name: v1.title }).waitFor();
    const rows = page.getByRole('table', { name: 'Response fields' }).getByRole('row');
    expect(await rows.filter({ hasText: 'dishes[].name' }).getByRole('cell').allTextContents()).toEqual([
      expect.stringContaining('dishes[].name'),
      'string',
      'yes',
      '',
      'max length 80',
    ]);
    await page.getByRole('link', { name: 'Version 1' }).waitFor();
    await page.getByRole('heading', { name: 'What changed from version 1' }).waitFor();
    expect(await page.getByRole('row').filter({ hasText: '/data/day' }).first().textContent()).toMatch(/\/data\/daytype changed from string to integer/);
    await page.getByRole('link', { name: 'Version 1' }).click();
    await page.getByRole('table', { name: 'Request fields' }).getByRole('cell', { name: 'format date' }).waitFor();
    await screenshot(page, 'reference-custom-action');

    // Deprecated by the operator: marked on its page, which points to the version to use.
    expect((await hub.admin('PATCH', `/actions/${id}/versions/1`, { status: 'deprecated' })).status).toBe(200);
    await page.reload();
    await page.getByRole('note').filter({ hasText: 'Version 1 is deprecated since' }).waitFor();
    expect(await page.getByRole('listitem').filter({ hasText: 'Version 1' }).textContent()).toContain('· deprecated');
    await page.getByRole('link', { name: 'Use version 2' }).click();
    await page.getByRole('heading', { name: 'What changed from version 1' }).waitFor();
    expect(await page.getByRole('note').count()).toBe(0);
    await page.close();
  }, 120_000);
});
