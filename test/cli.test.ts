/**
 * The `api-hub` binary as a shell runs it: the dispatcher (serve by default, --help everywhere,
 * exit codes) and `api-hub conformance` against the example ERP (conformant) and a broken provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALENDAR, ERP_PATHS, startErpProvider, type ErpProvider } from '../examples/erp-provider.js';
import { generateSigningSecret } from '../src/relay/signing.js';
import { runApiHub } from './support/cli.js';
import { json, startServer, type TestServer } from './support/servers.js';

describe('api-hub dispatcher', () => {
  it('lists the subcommands and the hub options on --help, exit 0', async () => {
    const run = await runApiHub(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: api-hub \[subcommand\] \[options\]/);
    expect(run.stdout).toContain('conformance');
    expect(run.stdout).toContain('Exit codes: 0 ok, 1 a check or request failed, 2 a usage error.');
    // The hub's options, as `api-hub --help` listed them before subcommands existed.
    expect(run.stdout).toContain('HUB_ADMIN_TOKEN');
  });

  it.each([['serve'], ['conformance'], ['mock'], ['call'], ['publish'], ['types']])('%s --help describes the subcommand, exit 0', async (name) => {
    const run = await runApiHub([name, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(name === 'serve' ? 'Usage: api-hub [serve] [options]' : `Usage: api-hub ${name} `);
    expect(run.stderr).toBe('');
  });

  it('refuses an unknown subcommand with exit 2 and the list of subcommands', async () => {
    const run = await runApiHub(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^api-hub: unknown subcommand "frobnicate"\n\nUsage: api-hub \[subcommand\]/);
  });

  it('refuses a bad hub option with exit 2, with or without `serve`', async () => {
    for (const args of [['--port', 'nope'], ['serve', '--port', 'nope'], ['--no-such-flag']]) {
      const run = await runApiHub(args);
      expect(run.code, args.join(' ')).toBe(2);
      // Worded as before subcommands existed: no `api-hub:` prefix.
      expect(run.stderr).toMatch(/^(--port|Unknown option).*\n\nUsage: api-hub \[serve\] \[options\]/);
    }
  }, 60_000);
});

describe('api-hub conformance', () => {
  const signingSecret = generateSigningSecret();
  const secret = 'erp-legacy-secret';
  let erp: ErpProvider;
  let broken: TestServer;

  beforeAll(async () => {
    erp = await startErpProvider({ signingSecret, secret });
    // Checks no signature, answers the wrong shape, and never answers a body with unknown fields.
    broken = await startServer((req, res) => {
      if (req.body.includes('x-conformance-unknown-field')) return;
      json(res, 200, { result: [{ id: 42, summary: 'Calendar', events: [] }] });
    });
  });
  afterAll(async () => {
    await erp.close();
    await broken.close();
  });

  const args = (url: string) => ['conformance', '--action', CALENDAR, '--url', url, '--signing-secret', signingSecret, '--secret', secret];

  it('passes every check of the example ERP: exit 0', async () => {
    const run = await runApiHub(args(erp.url + ERP_PATHS[CALENDAR]));
    console.log(`conformance of the example ERP:\n${run.stdout}`);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Conformance of ${erp.url}${ERP_PATHS[CALENDAR]} to ${CALENDAR} version 1`);
    expect(run.stdout).toContain('All 8 checks passed.');
    expect(run.stdout).not.toContain('FAIL');
    expect(run.stdout).not.toContain('The provider refused');
  });

  it('points at the signing secret when the provider refuses what it signs: exit 1', async () => {
    const run = await runApiHub(['conformance', '--action', CALENDAR, '--url', erp.url + ERP_PATHS[CALENDAR], '--signing-secret', generateSigningSecret()]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('  FAIL  example 1: answered 401, not 2xx\n');
    expect(run.stdout).toContain(
      '\nThe provider refused example 1, example 2, unknown fields with 401: check that --signing-secret (and --secret) are the ones it verifies requests with.\n',
    );
  });

  it('reports the same as JSON with --json', async () => {
    const run = await runApiHub([...args(erp.url + ERP_PATHS[CALENDAR]), '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ action: CALENDAR, version: 1, url: erp.url + ERP_PATHS[CALENDAR], passed: true });
    expect(report.checks.map((c: { name: string }) => c.name)).toEqual([
      'example 1',
      'example 2',
      'boundary values (minimal)',
      'boundary values (maximal)',
      'unknown fields',
      'missing signature',
      'wrong signature',
      'old timestamp',
    ]);
    expect(report.checks.filter((c: { name: string }) => /signature|timestamp/.test(c.name)).map((c: { status: number }) => c.status)).toEqual([401, 401, 401]);
  }, 60_000);

  it('names each failure of a broken provider, with the pointers of the wrong shape: exit 1', async () => {
    const run = await runApiHub([...args(broken.url), '--timeout', '500']);
    console.log(`conformance of a broken provider:\n${run.stdout}`);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('  FAIL  example 1: answered 200 with JSON that does not match the response schema');
    expect(run.stdout).toContain('          the provider answered 200: {"result":[{"id":42,"summary":"Calendar","events":[]}]}\n');
    expect(run.stdout).toContain('          /result/0/id: must be string');
    expect(run.stdout).toContain('          /result/0/timezone: is required');
    expect(run.stdout).toContain('  FAIL  unknown fields: no answer within 500 ms');
    expect(run.stdout).toContain('  FAIL  missing signature: accepted with 200: the provider must refuse it (4xx)');
    expect(run.stdout).toContain('  FAIL  wrong signature: accepted with 200');
    expect(run.stdout).toContain('  FAIL  old timestamp: accepted with 200');
    expect(run.stdout).toContain('8 of 8 checks failed.');

    const report = JSON.parse((await runApiHub([...args(broken.url), '--timeout', '500', '--json'])).stdout);
    expect(report.passed).toBe(false);
    expect(report.checks[0].body).toBe('{"result":[{"id":42,"summary":"Calendar","events":[]}]}');
    // A check that passed carries no body; one without an answer has none to show.
    expect(report.checks.find((c: { name: string }) => c.name === 'unknown fields')).toEqual({
      name: 'unknown fields',
      passed: false,
      summary: 'no answer within 500 ms',
    });
    expect(report.checks[0].problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pointer: '/result/0/id', message: 'must be string' }),
        expect.objectContaining({ pointer: '/result/0/timezone', message: 'is required' }),
      ]),
    );
  }, 60_000);

  it("shows a bounded excerpt of a failing answer's body, its control characters replaced", async () => {
    const trace = `\u001b[31mStack trace:\n${'at frame\n'.repeat(1000)}`;
    const noisy = await startServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(trace);
    });
    try {
      const run = await runApiHub(['conformance', '--action', CALENDAR, '--url', noisy.url, '--signing-secret', signingSecret, '--json']);
      expect(run.code).toBe(1);
      const example = JSON.parse(run.stdout).checks[0];
      expect(example).toMatchObject({ name: 'example 1', passed: false, status: 500, summary: 'answered 500, not 2xx' });
      // 300 characters on one line, and how long the body was.
      const [start, rest] = (example.body as string).split('…');
      expect(start).toBe(`\ufffd[31mStack trace: ${'at frame '.repeat(1000)}`.slice(0, 300));
      expect(rest).toBe(` (${trace.length} characters)`);
    } finally {
      await noisy.close();
    }
  });

  it('refuses what a careless user types with exit 2 and says what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [['conformance', '--url', erp.url, '--signing-secret', signingSecret], /--action is required/],
      [['conformance', '--action', CALENDAR, '--signing-secret', signingSecret], /--url is required/],
      [['conformance', '--action', CALENDAR, '--url', 'file:///etc/passwd', '--signing-secret', signingSecret], /--url must be an http\(s\) URL/],
      [['conformance', '--action', CALENDAR, '--url', erp.url, '--signing-secret', 'not a secret!'], /--signing-secret must be whsec_/],
      [['conformance', '--action', '@acme:Nope:get', '--url', erp.url, '--signing-secret', signingSecret], /unknown action "@acme:Nope:get"/],
      [['conformance', '--action', CALENDAR, '--version', '9', '--url', erp.url, '--signing-secret', signingSecret], /has no version 9 \(versions: 1\)/],
      [['conformance', '--action', '@layers:education:Entrance:created', '--url', erp.url, '--signing-secret', signingSecret], /is an event action/],
      [['conformance', '--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [argv, message] of cases) {
      const run = await runApiHub(argv);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toContain('Usage: api-hub conformance');
    }
  }, 60_000);
});
