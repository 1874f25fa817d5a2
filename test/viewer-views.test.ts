/**
 * The viewer's store, posts, events, academic records and health views, and the example ERP's
 * answers behind them. The ERP's answers are checked against the catalogue's response schemas for
 * every demo person (and every store tab); then, in Chromium, each view shows the ERP's values at
 * 1280×800 and 390 px under axe-core, the store switches tabs, records filter by category, and the
 * English switch formats money and dates in English. Screenshots land in test-results/screenshots/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  academicRecordsFor,
  eventsUpdatedAfter,
  medicalRecordsFor,
  postsUpdatedAfter,
  storeItemsFor,
  storeTabsFor,
  studentsOf,
} from '../examples/erp-provider.js';
import { DEMO_COMMUNITIES } from '../examples/viewer-stack.js';
import { expectAccessible, launchBrowser, screenshot, type Browser } from './support/browser.js';
import { startTestStack, type TestStack } from './support/viewer.js';

const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as FormatsPlugin;
const PEOPLE = DEMO_COMMUNITIES[0]!.people;
const CARLA = PEOPLE[0]!;
const YEAR_AGO = { after: new Date(Date.now() - 365 * 86_400_000).toISOString(), limit: 100 };
const brl = (cents: number, locale = 'pt-BR') => new Intl.NumberFormat(locale, { style: 'currency', currency: 'BRL' }).format(cents / 100);

function responseValidator(file: string) {
  const action = JSON.parse(readFileSync(join('catalog', 'layers', file), 'utf8')) as { responseSchema: object };
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(action.responseSchema);
  return (value: unknown) => (validate(value) ? null : validate.errors);
}

describe("the example ERP's answers for the new views", () => {
  it('are valid against each action’s response schema, for every demo person', () => {
    const tabs = responseValidator('payments.Tabs.getRelated.v1.json');
    const items = responseValidator('payments.Items.getRelated.v1.json');
    const posts = responseValidator('Posts.getUpdatedAfter.v1.json');
    const events = responseValidator('Events.getUpdatedAfter.v1.json');
    const records = responseValidator('education.AcademicRecords.getRelated.v1.json');
    const medical = responseValidator('health.MedicalRecord.getRelated.v1.json');
    expect(posts(postsUpdatedAfter(YEAR_AGO))).toBeNull();
    expect(events(eventsUpdatedAfter(YEAR_AGO))).toBeNull();
    for (const person of PEOPLE) {
      const catalog = storeTabsFor(person);
      expect(tabs(catalog)).toBeNull();
      for (const tab of catalog.catalogTabs) expect(items(storeItemsFor(person, tab.alias)), tab.alias).toBeNull();
      expect(records(academicRecordsFor(person))).toBeNull();
      expect(medical(medicalRecordsFor(person))).toBeNull();
      // The same children as every other action of the ERP.
      expect(medicalRecordsFor(person).result.map((r) => r.name)).toEqual(studentsOf(person).map((s) => s.name));
      expect(academicRecordsFor(person).result.map((r) => r.student)).toEqual(studentsOf(person).map((s) => s.name));
    }
  });

  it('answer only what changed after the time asked, at most limit of them', () => {
    expect(postsUpdatedAfter({ after: new Date().toISOString(), limit: 10 }).result).toEqual([]);
    expect(eventsUpdatedAfter({ ...YEAR_AGO, limit: 2 }).result).toHaveLength(2);
    expect(postsUpdatedAfter({ after: new Date(Date.now() - 4 * 86_400_000).toISOString(), limit: 10 }).result.map((p) => p.id)).toEqual(['post-reuniao']);
  });
});

let stack: TestStack;
let browser: Browser;

async function signedIn(viewport?: { width: number; height: number }): Promise<Page> {
  const page = await browser.page(viewport);
  await page.setExtraHTTPHeaders({ 'accept-language': 'pt-BR,pt;q=0.9' });
  await page.goto(stack.viewerUrl);
  await page.getByRole('button', { name: new RegExp(CARLA.name) }).click();
  await page.getByRole('navigation').waitFor();
  return page;
}

async function open(page: Page, view: string, heading: string): Promise<void> {
  await page.goto(`${stack.viewerUrl}/#/${view}`);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  await expect.poll(() => page.locator('[aria-busy="true"]').count(), { timeout: 10_000 }).toBe(0);
}

const mainText = (page: Page) => page.locator('main').textContent();

describe('the new views in Chromium', () => {
  beforeAll(async () => {
    stack = await startTestStack();
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.closeExtras();
    await stack?.close();
  });

  it('the server calls the store with its channel and the tab, and the feeds with a time window', async () => {
    const signIn = await fetch(`${stack.viewerUrl}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ community: DEMO_COMMUNITIES[0]!.id, person: CARLA.id }),
    });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const get = async (path: string) => {
      const res = await fetch(`${stack.viewerUrl}${path}`, { headers: { cookie } });
      return { status: res.status, body: (await res.json()) as { sources: { provider: { id: string }; ok: boolean; data: unknown }[] } };
    };
    expect(await get('/api/views/items')).toEqual({
      status: 400,
      body: { status: 400, type: 'InvalidRequest', error: 'items need the catalogue tab (?tab=)' },
    });
    const items = await get('/api/views/items?tab=uniformes');
    expect(items.status).toBe(200);
    expect(items.body.sources).toEqual([{ provider: { id: 'erp-modelo', displayName: 'ERP Modelo' }, ok: true, data: storeItemsFor(CARLA, 'uniformes') }]);
    const tabs = await get('/api/views/tabs');
    expect(tabs.body.sources[0]!.data).toEqual(storeTabsFor(CARLA));
    const posts = (await get('/api/views/posts')).body.sources[0]!.data as ReturnType<typeof postsUpdatedAfter>;
    expect(posts.result.map((p) => p.id)).toEqual(postsUpdatedAfter(YEAR_AGO).result.map((p) => p.id));
  }, 120_000);

  it("shows each new view with the ERP's values, accessible, at desktop and phone width", async () => {
    const students = studentsOf(CARLA);
    const cantina = storeItemsFor(CARLA, 'cantina').items;
    const medical = medicalRecordsFor(CARLA).result[0]!;
    const blood = medical.sections[0]!.fields[0]!.text!;
    const records = academicRecordsFor(CARLA).result[0]!;
    const day = new Intl.DateTimeFormat('pt-BR', { dateStyle: 'medium', timeZone: 'UTC' });
    const checks: [string, string, string[]][] = [
      ['tabs', 'Loja', ['Cantina', 'Uniformes', cantina[0]!.name, brl(cantina[0]!.price.amount!), 'Mensal', 'Avulso']],
      ['posts', 'Mural', ['Reunião de pais e responsáveis', 'por Fernanda Dias (coordenação)', 'Pauta da reunião.pdf', 'frutas da estação']],
      ['events', 'Eventos', ['Próximos', 'Feira de Ciências', 'Quadra coberta', 'Já aconteceram', 'Olimpíada de Matemática', 'Entrar na chamada de vídeo']],
      [
        'records',
        'Registros',
        [
          records.student,
          'Elogio',
          'Matemática',
          'Professor(a): Ana Ribeiro',
          'Não visto',
          `Visto por ${CARLA.name}`,
          day.format(new Date(records.records[0]!.createdAt)),
        ],
      ],
      ['medical', 'Saúde', [students[0]!.name, 'Tipo sanguíneo', blood, 'Contatos de emergência', CARLA.name, 'Carteira de vacinação.pdf']],
    ];
    const desktop = await signedIn();
    const phone = await signedIn({ width: 390, height: 844 });
    for (const [view, heading, values] of checks) {
      for (const [page, size] of [
        [desktop, 'desktop'],
        [phone, 'phone'],
      ] as const) {
        await open(page, view, heading);
        for (const value of values) await expect.poll(() => mainText(page), { timeout: 10_000 }).toContain(value);
        await expectAccessible(page);
        await screenshot(page, `viewer-${view}-${size}`);
      }
    }
    // Every new view has its menu entry.
    for (const name of ['Loja', 'Mural', 'Eventos', 'Registros', 'Saúde']) await desktop.getByRole('navigation').getByRole('link', { name }).waitFor();
  }, 120_000);

  it('the store switches tabs, showing the tab’s items and the book kit of each child', async () => {
    const page = await signedIn();
    await open(page, 'tabs', 'Loja');
    await page.getByRole('button', { name: 'Material escolar' }).click();
    const kits = storeItemsFor(CARLA, 'material').lists;
    for (const kit of kits) {
      await expect.poll(() => mainText(page), { timeout: 10_000 }).toContain(kit.name);
      expect(await mainText(page)).toContain(`Lista completa: ${brl(kit.wholePrice!.amount!)}`);
    }
    expect(await page.getByRole('button', { name: 'Material escolar' }).getAttribute('aria-pressed')).toBe('true');
    await page.getByRole('button', { name: 'Uniformes' }).click();
    const shirt = storeItemsFor(CARLA, 'uniformes').items[0]!;
    await expect.poll(() => mainText(page), { timeout: 10_000 }).toContain(`antes ${brl(shirt.priceFrom!.amount!)}`);
    expect(await mainText(page)).toContain('Promoção');
    await expectAccessible(page);
    await screenshot(page, 'viewer-store-uniforms');
  }, 120_000);

  it('filters academic records by category', async () => {
    const page = await signedIn();
    await open(page, 'records', 'Registros');
    const first = page.locator('main article').first();
    const rows = first.locator('tbody tr');
    const all = academicRecordsFor(CARLA).result[0]!.records;
    await expect.poll(() => rows.count()).toBe(all.length);
    await first.getByRole('combobox', { name: 'Categoria' }).selectOption('Material');
    await expect.poll(() => rows.count()).toBe(all.filter((r) => r.category === 'Material').length);
    expect(await rows.first().textContent()).toContain('Esqueceu o jaleco');
  }, 120_000);

  it('speaks English when asked, with money and dates in English', async () => {
    const page = await signedIn();
    await open(page, 'tabs', 'Loja');
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { level: 1, name: 'Store' }).waitFor();
    const meal = storeItemsFor(CARLA, 'cantina').items[0]!;
    await expect.poll(() => mainText(page), { timeout: 10_000 }).toContain(brl(meal.price.amount!, 'en'));
    await open(page, 'events', 'Events');
    await expect.poll(() => mainText(page), { timeout: 10_000 }).toContain('Upcoming');
    const fair = eventsUpdatedAfter(YEAR_AGO).result.find((e) => e.id === 'evt-feira')!;
    const when = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'America/Sao_Paulo' }).format(new Date(fair.start));
    expect(await mainText(page)).toContain(when);
    await open(page, 'medical', 'Health');
    await expect.poll(() => mainText(page), { timeout: 10_000 }).toContain('Updated on');
    await expectAccessible(page);
    await page.getByRole('button', { name: 'Português' }).click();
    await page.getByRole('heading', { level: 1, name: 'Saúde' }).waitFor();
  }, 120_000);
});
