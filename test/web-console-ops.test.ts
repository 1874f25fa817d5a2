/**
 * The console's operator pages in a real browser (Chromium through playwright-core) against a hub
 * on a real port with a real SQLite file: admin keys (created and shown once, signed in with, a
 * read key's write refused with the API's 403 sentence, revoked after a confirmation), the change
 * trail (filters, a key's changes, before and after as a diff and as two blocks), deleting an app
 * and a community (409 with the apps still installed, then forced), the time range of the Calls
 * page sent to the API, and the Newer and Older pager of the change trail and the calls. axe-core
 * on the new pages at 1280×800 and 390 px, and screenshots.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { expectAccessible, launchBrowser, screenshot, type Browser } from './support/browser.js';
import { ADMIN_TOKEN, startHub, type TestHub } from './support/hub.js';
import { quiet, until } from './support/wait.js';
import { buildWeb } from './support/web.js';

const GRADES = '@layers:education:GradeBooks:getRelated';

let hub: TestHub;
let browser: Browser;

beforeAll(async () => {
  const web = await buildWeb();
  hub = await startHub({}, undefined, { webDir: web.dir });
  await hub.admin('PUT', '/communities/escola');
  for (const id of ['gate', 'doomed']) {
    expect((await hub.admin('PUT', `/apps/${id}`, { displayName: `App ${id}`, services: { requests: [{ action: GRADES, reason: 'grades' }] } })).status).toBe(
      201,
    );
    await hub.admin('PUT', `/communities/escola/installations/${id}`);
  }
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

async function signedIn(secret = ADMIN_TOKEN, viewport?: { width: number; height: number }): Promise<Page> {
  const page = await browser.page(viewport);
  await page.goto(`${hub.url}/console/`);
  await page.getByLabel('Admin token').fill(secret);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Console' }).waitFor();
  return page;
}

/** A time as a `datetime-local` input holds it, in the browser's (this machine's) time zone. */
function localInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

describe('the console for operators', () => {
  let readKey: { id: string; key: string };

  it('creates a key shown once, signs in with it, and refuses its writes with the API sentence', async () => {
    const page = await signedIn();
    await page.goto(`${hub.url}/console/#/keys`);
    await page.getByRole('heading', { name: 'Admin keys' }).waitFor();
    await page.getByLabel('Key name').fill('night shift');
    await page.getByLabel('Scope').selectOption('read');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('created-key').textContent())!;
    expect(key).toMatch(/^hub_admin_[0-9a-f]{16}_[A-Za-z0-9_-]+$/);
    await page.getByRole('button', { name: 'Copy the key' }).waitFor();
    const listed = (await hub.admin('GET', '/keys')).body as Array<{ id: string; name: string; scope: string; revokedAt: number | null }>;
    expect(listed).toMatchObject([{ name: 'night shift', scope: 'read', revokedAt: null }]);
    readKey = { id: listed[0]!.id, key };
    expect(key.startsWith(`hub_admin_${readKey.id}_`)).toBe(true);
    const row = page.locator(`tr[data-key="${readKey.id}"]`);
    expect(await row.locator('.badge').textContent()).toBe('read');
    await expectAccessible(page);
    await screenshot(page, 'console-keys-created');
    // Shown once: a reload lists the key by its id, never its secret.
    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.toContain(key);
    await page.close();

    const reader = await signedIn(key);
    expect(await reader.getByTestId('signed-in-as').textContent()).toBe('night shift · read');
    await reader.goto(`${hub.url}/console/#/apps`);
    await reader.getByRole('link', { name: 'gate' }).waitFor();
    await reader.goto(`${hub.url}/console/#/communities`);
    await reader.getByLabel('New community id').fill('nova');
    await reader.getByRole('button', { name: 'Create community' }).click();
    const refusal = `this route needs an admin key with the "operate" scope; the key "night shift" (${readKey.id}) has the "read" scope`;
    await expect.poll(() => reader.getByRole('alert').locator('strong').textContent()).toBe(refusal);
    expect((await hub.admin('GET', '/communities')).body).toEqual([{ id: 'escola' }]);
    await expectAccessible(reader);
    await screenshot(reader, 'console-read-key-refused');
    // A write of the admin scope says so too.
    await reader.goto(`${hub.url}/console/#/keys`);
    await reader.getByLabel('Key name').fill('escalate');
    await reader.getByRole('button', { name: 'Create key' }).click();
    await expect
      .poll(() => reader.getByRole('alert').locator('strong').textContent())
      .toBe(`this route needs an admin key with the "admin" scope; the key "night shift" (${readKey.id}) has the "read" scope`);
    expect((await hub.admin('GET', '/keys')).body).toHaveLength(1);
    // A delete, once confirmed, is refused beside its button.
    await reader.goto(`${hub.url}/console/#/apps/gate`);
    await reader.getByRole('button', { name: 'Delete the app' }).click();
    await reader.getByRole('dialog', { name: 'Delete the app gate?' }).getByRole('button', { name: 'Delete it' }).click();
    await expect
      .poll(() => reader.getByRole('alert').locator('strong').textContent())
      .toBe(`this route needs an admin key with the "admin" scope; the key "night shift" (${readKey.id}) has the "read" scope`);
    expect((await hub.admin('GET', '/apps/gate')).status).toBe(200);
    await reader.close();
  }, 120_000);

  it('lists the key creation and the refused writes in the change trail, with before and after', async () => {
    // A manifest changed, so a change has both a before and an after.
    await hub.admin('PUT', '/apps/gate', { displayName: 'Gate monitor', services: { requests: [{ action: GRADES, reason: 'grades' }] } });
    const page = await signedIn();
    await page.goto(`${hub.url}/console/#/changes`);
    await page.getByRole('heading', { name: 'Changes' }).waitFor();
    // The read key's refused attempt at a key is a key.create too, by another key.
    const created = page.locator('tr[data-change="key.create"]').filter({ hasText: 'bootstrap' });
    await created.waitFor();
    expect(await created.textContent()).toContain('bootstrap');
    expect(await created.locator('.badge').textContent()).toBe('ok');

    await page.getByLabel('Kind').selectOption('key.create');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(2);
    await created.getByRole('button').click();
    expect(await page.getByTestId('change-diff').textContent()).toBe(`+ {+   "name": "night shift",+   "scope": "read"+ }`);

    await page.getByLabel('Kind').selectOption('app.put');
    await page.getByLabel('Target').fill('gate');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(2);
    await page.locator('tr[data-change="app.put"]').first().getByRole('button').click();
    const diff = page.getByTestId('change-diff');
    expect(await diff.locator('.del').allTextContents()).toEqual(['-   "displayName": "App gate",']);
    expect(await diff.locator('.add').allTextContents()).toEqual(['+   "displayName": "Gate monitor",']);
    await expectAccessible(page);
    await screenshot(page, 'console-changes-diff');
    await page.getByRole('button', { name: 'Before and after' }).click();
    expect(await page.getByLabel('Before', { exact: true }).textContent()).toContain('"displayName": "App gate"');
    expect(await page.getByLabel('After', { exact: true }).textContent()).toContain('"displayName": "Gate monitor"');
    await expectAccessible(page);

    // From the Keys page, a key's own changes: the read key's three refused writes, recorded as not made.
    await page.goto(`${hub.url}/console/#/keys`);
    await page.getByRole('link', { name: 'Changes made with night shift' }).click();
    await expect.poll(() => page.getByLabel('Key id').inputValue()).toBe(readKey.id);
    await expect.poll(() => page.locator('tbody tr').count()).toBe(3);
    expect(await page.locator('tbody tr .badge').allTextContents()).toEqual(['Forbidden', 'Forbidden', 'Forbidden']);
    expect(await page.locator('tbody tr td.mono:not(.wrap)').allTextContents()).toEqual(['app.delete', 'key.create', 'community.put']);
    await page.locator('tbody tr').first().getByRole('button').click();
    await page.getByText('Refused: nothing was changed.').waitFor();
    await page.close();
  }, 120_000);

  it('revokes a key after a confirmation, and the console signs its holder out', async () => {
    const reader = await signedIn(readKey.key);
    const page = await signedIn();
    await page.goto(`${hub.url}/console/#/keys`);
    const row = page.locator(`tr[data-key="${readKey.id}"]`);
    // Cancel keeps it.
    await row.getByRole('button', { name: 'Revoke key night shift' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke the key “night shift”?' });
    await dialog.waitFor();
    await expectAccessible(page);
    await screenshot(page, 'console-keys-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await hub.admin('GET', '/keys')).body[0].revokedAt).toBeNull();

    await row.getByRole('button', { name: 'Revoke key night shift' }).click();
    await dialog.getByRole('button', { name: 'Revoke the key' }).click();
    await expect.poll(() => row.getByTestId('key-revoked').textContent()).not.toBe('—');
    await page.getByRole('status').getByText('The key “night shift” is revoked').waitFor();
    expect((await hub.admin('GET', '/keys')).body[0].revokedAt).toEqual(expect.any(Number));
    expect(await row.getByRole('button').count()).toBe(0);

    // The holder's next request is refused: the console asks to sign in again.
    await reader.reload();
    await expect.poll(() => reader.getByRole('alert').textContent()).toBe('The hub refused the admin token: sign in again.');
    expect(await reader.evaluate<number>('sessionStorage.length')).toBe(0);
    await reader.close();
    await page.close();
  }, 120_000);

  it('deletes an app after a confirmation', async () => {
    const page = await signedIn();
    await page.goto(`${hub.url}/console/#/apps/doomed`);
    await page.getByRole('button', { name: 'Delete the app' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete the app doomed?' });
    await dialog.getByRole('button', { name: 'Delete it' }).click();
    await page.getByRole('heading', { name: 'Apps' }).waitFor();
    await page.getByRole('status').getByText('The app doomed is deleted').waitFor();
    expect(page.url()).toMatch(/#\/apps$/);
    await page.getByRole('link', { name: 'gate' }).waitFor();
    expect(await page.getByRole('link', { name: 'doomed' }).count()).toBe(0);
    const gone = await hub.admin('GET', '/apps/doomed');
    expect(gone.body).toEqual({ status: 404, type: 'NotFound', name: 'Not Found', error: 'no app "doomed"', requestId: gone.headers['x-request-id'] });
    expect((await hub.admin('GET', '/communities/escola/installations')).body.map((i: { app: string }) => i.app)).toEqual(['gate']);
    await page.close();
  }, 120_000);

  it('deletes a community: 409 names the apps installed, then forced', async () => {
    await hub.admin('PUT', '/communities/closing');
    await hub.admin('PUT', '/communities/closing/installations/gate');
    const page = await signedIn();
    await page.goto(`${hub.url}/console/#/communities/closing`);
    await page.getByRole('button', { name: 'Delete the community' }).click();
    await page.getByRole('dialog', { name: 'Delete the community closing?' }).getByRole('button', { name: 'Delete it' }).click();
    const held = page.getByRole('alert', { name: 'Apps still installed' });
    await held.waitFor();
    expect(await held.locator('strong').textContent()).toBe('community "closing" has apps installed: gate; uninstall them first, or delete with ?force=true');
    expect(await held.getByRole('listitem').allTextContents()).toEqual(['gate installed']);
    expect((await hub.admin('GET', '/communities')).body).toContainEqual({ id: 'closing' });
    await expectAccessible(page);
    await screenshot(page, 'console-community-delete-409');

    await held.getByRole('button', { name: 'Delete anyway (force)' }).click();
    await page.getByRole('heading', { name: 'Communities' }).waitFor();
    await page.getByRole('status').getByText('The community closing is deleted.').waitFor();
    expect((await hub.admin('GET', '/communities')).body).toEqual([{ id: 'escola' }]);
    expect(await page.getByRole('link', { name: 'closing' }).count()).toBe(0);
    await page.close();
  }, 120_000);

  it('narrows the calls by a time range the API applies', async () => {
    // Calls of an app that no one provides: each is answered and kept in the audit log.
    const gate = (await hub.admin('POST', '/apps/gate/tokens')).body.token as string;
    const call = async () => {
      const answer = await hub.send('POST', `/v1/services/call/${GRADES}/nobody?version=1`, {
        headers: { authorization: `Bearer ${gate}`, 'x-community-id': 'escola' },
        body: {},
      });
      expect(answer.status).toBeGreaterThanOrEqual(400);
    };
    await call();
    await call();
    const earlier = (await hub.admin('GET', '/calls')).body.items as Array<{ at: number }>;
    const lastEarly = Math.max(...earlier.map((c) => c.at));
    // The inputs hold whole seconds: the later calls are made in a later second than the earlier ones.
    const boundary = Math.floor(lastEarly / 1000) * 1000 + 1000;
    await until(() => Date.now() >= boundary, 2000, 'the next second');
    for (let i = 0; i < 3; i++) await call();
    const all = (await hub.admin('GET', '/calls')).body.items as Array<{ id: string; at: number }>;
    expect(all).toHaveLength(earlier.length + 3);

    const page = await signedIn();
    const asked: string[] = [];
    page.on('request', (r) => r.url().includes('/v1/admin/calls') && asked.push(r.url()));
    await page.goto(`${hub.url}/console/#/calls`);
    const rows = page.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(all.length);

    await page.getByLabel('From', { exact: true }).fill(localInput(boundary));
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await expect.poll(() => rows.count()).toBe(3);
    expect(decodeURIComponent(asked.at(-1)!)).toContain(`since=${new Date(boundary).toISOString()}`);

    // "To" holds the whole of its second: the earlier calls, none of the later.
    await page.getByLabel('From', { exact: true }).fill('');
    await page.getByLabel('To', { exact: true }).fill(localInput(lastEarly));
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await expect.poll(() => rows.count()).toBe(earlier.length);
    expect(decodeURIComponent(asked.at(-1)!)).toContain(`until=${new Date(boundary - 1).toISOString()}`);
    await expectAccessible(page);
    await screenshot(page, 'console-calls-time-range');

    // The outcome is the API's filter too, and a requestId opens its call from the API.
    const outcome = ((await hub.admin('GET', '/calls?limit=1')).body.items[0] as { outcome: string }).outcome;
    await page.getByLabel('To', { exact: true }).fill('');
    await page.getByLabel('Outcome', { exact: true }).fill(outcome);
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await expect.poll(() => new URL(asked.at(-1)!).searchParams.get('outcome')).toBe(outcome);
    await expect.poll(() => rows.count()).toBe(all.length);
    await page.getByLabel('Outcome', { exact: true }).fill('ok');
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    await expect.poll(() => rows.count()).toBe(0);
    await page.getByLabel('RequestId').fill(all[1]!.id);
    await page.getByRole('button', { name: 'Find the call' }).click();
    await page.getByRole('region', { name: `Call ${all[1]!.id}` }).waitFor({ state: 'visible', timeout: 10_000 });
    expect(asked.some((url) => new URL(url).searchParams.get('requestId') === all[1]!.id)).toBe(true);

    // The Deliveries page asks the API the same way.
    await page.goto(`${hub.url}/console/#/deliveries`);
    const deliveries = page.waitForRequest((r) => r.url().includes('/v1/admin/deliveries') && r.url().includes('since='));
    await page.getByLabel('From', { exact: true }).fill(localInput(boundary));
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    expect(new URL((await deliveries).url()).searchParams.get('since')).toBe(new Date(boundary).toISOString());
    await page.close();
  }, 120_000);

  it('passes axe-core on the new pages, at desktop and phone widths', async () => {
    for (const [name, viewport] of [
      ['desktop', { width: 1280, height: 800 }],
      ['phone', { width: 390, height: 844 }],
    ] as const) {
      const page = await signedIn(ADMIN_TOKEN, viewport);
      for (const [route, heading] of [
        ['keys', 'Admin keys'],
        ['changes', 'Changes'],
        ['apps/gate', 'Gate monitor'],
        ['communities/escola', 'Community escola'],
      ] as const) {
        await page.goto(`${hub.url}/console/#/${route}`);
        await page.getByRole('heading', { name: heading, exact: true }).waitFor();
        await page.waitForLoadState('networkidle');
        if (route === 'changes') await page.locator('tr[data-change="app.put"]').first().getByRole('button').click();
        await expectAccessible(page);
        expect([route, await page.evaluate<number>('document.documentElement.scrollWidth')]).toEqual([route, viewport.width]);
        await screenshot(page, `console-${route.replace('/', '-')}-${name}`);
      }
      await page.close();
    }
  }, 120_000);

  it('pages the change trail and the calls with Newer and Older, by the cursor of the API', async () => {
    // More than the console's page of 50, fewer than two pages: refused calls and new communities.
    const gate = (await hub.admin('POST', '/apps/gate/tokens')).body.token as string;
    const total = async (list: string) => ((await hub.admin('GET', `/${list}?limit=1000`)).body.items as unknown[]).length;
    const callsBefore = await quiet(() => total('calls'));
    for (let i = callsBefore; i < 60; i++) {
      await hub.send('POST', `/v1/services/call/${GRADES}/nobody?version=1`, {
        headers: { authorization: `Bearer ${gate}`, 'x-community-id': 'escola' },
        body: {},
      });
    }
    const changesBefore = await quiet(() => total('changes'));
    for (let i = changesBefore; i < 60; i++) expect((await hub.admin('PUT', `/communities/paged-${i}`)).status).toBe(201);
    // Both logs are written beside the answers: wait for every line.
    for (const list of ['calls', 'changes']) await until(async () => (await total(list)) === 60, 5000, `60 ${list}`);

    const page = await signedIn();
    for (const [list, heading] of [
      ['changes', 'Changes'],
      ['calls', 'Calls'],
    ] as const) {
      const first = (await hub.admin('GET', `/${list}?limit=50`)).body as { nextCursor: string };
      const asked: URL[] = [];
      const onRequest = (r: { url: () => string }) => r.url().includes(`/v1/admin/${list}`) && asked.push(new URL(r.url()));
      page.on('request', onRequest);
      await page.goto(`${hub.url}/console/#/${list}`);
      await page.getByRole('heading', { name: heading, exact: true }).waitFor();
      const rows = page.locator('tbody tr');
      const newer = page.getByRole('button', { name: 'Newer', exact: true });
      const older = page.getByRole('button', { name: 'Older', exact: true });
      await expect.poll(() => rows.count()).toBe(50);
      expect([await newer.isDisabled(), await older.isDisabled()]).toEqual([true, false]);

      await older.click();
      await expect.poll(() => rows.count()).toBe(10);
      expect(asked.at(-1)!.searchParams.get('cursor')).toBe(first.nextCursor);
      expect([await newer.isDisabled(), await older.isDisabled()]).toEqual([false, true]);

      await newer.click();
      await expect.poll(() => rows.count()).toBe(50);
      expect(asked.at(-1)!.searchParams.get('cursor')).toBeNull();
      expect([await newer.isDisabled(), await older.isDisabled()]).toEqual([true, false]);
      page.off('request', onRequest);
    }
    await page.close();
  }, 120_000);
});
