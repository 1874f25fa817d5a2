/**
 * The SDK as a package: its generated types match the catalogue (a stale file fails), and
 * `npm pack` gives a tarball with no dependencies that installs offline in a new project, where
 * it imports, type-checks through its exports map, and runs.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { generateActionTypes, namespaceName } from '../packages/sdk/src/codegen.js';
import { BUILTIN_TYPES_PATH, builtinActionTypes } from '../packages/sdk/scripts/builtin.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const SDK = join(ROOT, 'packages/sdk');
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('generated types', () => {
  it('the checked-in file is what `npm run generate -w packages/sdk` gives', async () => {
    expect(readFileSync(BUILTIN_TYPES_PATH, 'utf8'), 'stale: run `npm run generate -w packages/sdk`').toBe(await builtinActionTypes());
  });

  it("types a format-only anyOf as its parent's type, and an object-or-null as either", async () => {
    const text = await generateActionTypes([
      {
        id: '@acme:Slot:get',
        version: 1,
        kind: 'request',
        dataSchema: {
          type: ['object', 'null'],
          description: 'a hint',
          properties: { at: { type: 'string', anyOf: [{ format: 'date' }, { format: 'date-time' }] } },
        },
        responseSchema: { type: 'object', properties: { since: { type: ['string', 'null'], anyOf: [{ format: 'date' }, { format: 'date-time' }] } } },
      },
    ]);
    expect(text).toContain('export type Data = {\n    at?: string;\n    [k: string]: unknown;\n  } | null;');
    expect(text).toContain('since?: string | null;');
    expect(text).not.toContain('} & ');
  });

  it("generates a hub's custom actions, and refuses two versions with one type name", async () => {
    const text = await generateActionTypes(
      [
        {
          id: '@acme:Echo:changed',
          version: 1,
          kind: 'event',
          title: 'Echo */ changed',
          dataSchema: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
        },
        {
          id: '@acme:Echo:get',
          version: 2,
          kind: 'request',
          dataSchema: true,
          responseSchema: { title: 'Ignored', type: 'object', properties: { n: { type: 'integer' } } },
        },
      ],
      { interfaceName: 'CustomActions' },
    );
    expect(text).toContain('export namespace AcmeEchoChangedV1 {');
    expect(text).toContain('/** Echo *\\/ changed (@acme:Echo:changed v1) */');
    expect(text).toContain(`"@acme:Echo:get": {\n    2: { kind: 'request'; data: AcmeEchoGetV2.Data; response: AcmeEchoGetV2.Response };`);
    expect(text).toContain('n?: number;');
    expect(namespaceName('@layers:getHomeInfo', 3)).toBe('LayersGetHomeInfoV3');
    await expect(
      generateActionTypes([
        { id: '@a:b-c', version: 1, kind: 'event', dataSchema: {} },
        { id: '@a:bC', version: 1, kind: 'event', dataSchema: {} },
      ]),
    ).rejects.toThrow('two action versions give the type name ABC');
  });
});

describe('npm pack', () => {
  it('gives a tarball without dependencies that installs offline, type-checks and runs', async () => {
    const work = mkdtempSync(join(tmpdir(), 'sdk-pack-'));
    dirs.push(work);
    const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: SDK });
    const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const paths = packed!.files.map((file) => file.path).sort();
    expect(paths).toContain('dist/index.js');
    expect(paths).toContain('dist/index.d.ts');
    expect(paths).toContain('dist/codegen.js');
    expect(paths).toContain('README.md');
    expect(paths.filter((path) => !path.startsWith('dist/') && path !== 'README.md' && path !== 'package.json')).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(SDK, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies).toBeUndefined();

    const app = join(work, 'app');
    await run('mkdir', [app]);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: { '@api-hub/sdk': `file:${join(work, packed!.filename)}` } }),
    );
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: app });
    writeFileSync(
      join(app, 'main.ts'),
      `import { createClient, createProviderHandler, HubApiError, MemoryWebhookIdStore, signWebhook, verifyWebhook, type BuiltinActions } from '@api-hub/sdk';
import { namespaceName } from '@api-hub/sdk/codegen';
const secret = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
const now = Math.floor(Date.now() / 1000);
const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(now), 'webhook-signature': signWebhook('msg_1', now, '{}', secret) };
const client = createClient({ hubUrl: 'http://127.0.0.1:1', token: 'hub_x', community: 'c' });
const data: BuiltinActions['@layers:education:GradeBooks:getRelated'][1]['data'] = { user: { id: 'u', name: 'n', alias: 'a' } };
const handler = createProviderHandler({ action: '@layers:Calendar:getRelated', signingSecrets: [secret] }, () => ({ result: [] }));
console.log(JSON.stringify({
  verified: verifyWebhook(headers, '{}', { signingSecrets: [secret] }),
  client: typeof client.call,
  handler: typeof handler.node,
  store: await new MemoryWebhookIdStore().claim('x'),
  error: new HubApiError({ status: 404, type: 'NotFound', name: 'Not Found', error: 'x' }).type,
  name: namespaceName('@layers:getHomeInfo', 1),
  user: data.user?.name,
}));
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          outDir: 'out',
          types: [],
          skipLibCheck: false,
          lib: ['ES2023'],
        },
        include: ['main.ts'],
      }),
    );
    // The root's TypeScript and Node types, lent to the new project (it has no network to get them).
    await run('ln', ['-s', join(ROOT, 'node_modules/@types'), join(app, 'node_modules/@types')]);
    await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', app, '--types', 'node']);
    const { stdout: output } = await run(process.execPath, [join(app, 'out/main.js')], { cwd: app });
    expect(JSON.parse(output)).toEqual({
      verified: 'msg_1',
      client: 'function',
      handler: 'function',
      store: true,
      error: 'NotFound',
      name: 'LayersGetHomeInfoV1',
      user: 'n',
    });
  }, 120_000);
});
