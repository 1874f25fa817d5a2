/**
 * What the CLI says when something is at fault, as whole stderr lines: a hub that does not answer
 * is named by its URL (exit 1), a bad option by its name and the form expected (exit 2, the line
 * first, the subcommand's help after it), a provider that does not answer by its URL in the
 * conformance report.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningSecret } from '../src/relay/signing.js';
import { runApiHub } from './support/cli.js';
import { freePort } from './support/port.js';

const CALENDAR = '@layers:Calendar:getRelated';
const CHANGED = '@layers:education:Entrance:created';

/** JSON.parse's message for a text, as this Node words it. */
function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error(`${text} is JSON`);
}

describe('api-hub errors', () => {
  let nobody: string;
  const signingSecret = generateSigningSecret();
  beforeAll(async () => {
    // A port nothing listens on: connections to it are refused.
    nobody = `http://127.0.0.1:${await freePort()}`;
  });

  it('names the hub it cannot reach, exit 1', async () => {
    const refused = `api-hub: cannot reach the hub at ${nobody}: connection refused (ECONNREFUSED)\n`;
    const app = ['--hub', nobody, '--token', 'hub_x', '--community', 'school', '--data', '{}'];
    for (const argv of [
      ['call', '--action', CALENDAR, '--provider', 'erp', ...app],
      ['publish', '--action', CHANGED, ...app],
      ['types', '--hub', nobody, '--admin-token', 'admin-token-0123456789'],
      [
        'conformance',
        '--action',
        CALENDAR,
        '--url',
        `${nobody}/calendar`,
        '--signing-secret',
        signingSecret,
        '--hub',
        nobody,
        '--admin-token',
        'admin-token-0123456789',
      ],
      ['mock', '--action', CALENDAR, '--hub', nobody, '--admin-token', 'admin-token-0123456789'],
    ]) {
      const run = await runApiHub(argv);
      expect({ code: run.code, stdout: run.stdout, stderr: run.stderr }, argv.join(' ')).toEqual({ code: 1, stdout: '', stderr: refused });
    }
  }, 60_000);

  it('names the bad option and the form it takes, exit 2', async () => {
    const cases: [string[], string][] = [
      [
        ['call', '--action', CALENDAR, '--provider', 'erp', '--hub', 'hub.example.org', '--token', 't', '--community', 'c', '--data', '{}'],
        'api-hub: --hub must be an http(s) URL, not "hub.example.org"',
      ],
      [
        ['call', '--action', CALENDAR, '--provider', 'erp', '--hub', nobody, '--token', 't', '--community', 'c', '--data', '{}', '--timeout', '5s'],
        'api-hub: --timeout must be an integer of at least 1, not "5s"',
      ],
      [
        ['call', '--action', CALENDAR, '--provider', 'erp', '--hub', nobody, '--token', 't', '--community', 'c', '--data', "{'a':1}"],
        `api-hub: the payload (--data) is not JSON: ${jsonError("{'a':1}")}`,
      ],
      [['publish', '--action', CHANGED, '--hub', nobody, '--community', 'c', '--data', '{}'], 'api-hub: --token (or API_HUB_TOKEN) is required'],
      [
        ['conformance', '--action', CALENDAR, '--url', 'localhost:4001', '--signing-secret', signingSecret],
        'api-hub: --url must be an http(s) URL, not "localhost:4001"',
      ],
      [
        ['conformance', '--action', CALENDAR, '--url', `${nobody}/`, '--signing-secret', 'my secret'],
        'api-hub: --signing-secret must be whsec_ followed by base64',
      ],
      [
        ['conformance', '--action', CALENDAR, '--url', `${nobody}/`, '--signing-secret', signingSecret, '--version', 'one'],
        'api-hub: --version must be an integer of at least 1, not "one"',
      ],
      [['conformance', '--action', CALENDAR, '--url', `${nobody}/`, '--signing-secret'], "api-hub: Option '--signing-secret <value>' argument missing"],
      [['mock', '--action', CALENDAR, '--port', '-1'], "api-hub: Option '--port <value>' argument missing (a value starting with a dash is written --port=-…)"],
      [['mock', '--action', CALENDAR, '--port=-1'], 'api-hub: --port must be an integer of at least 0, not "-1"'],
      [['types', '--json=yes'], "api-hub: Option '--json' does not take an argument"],
      [['types', '--hubb', nobody], "api-hub: Unknown option '--hubb'"],
    ];
    for (const [argv, message] of cases) {
      const run = await runApiHub(argv, { env: { API_HUB_TOKEN: '', HUB_ADMIN_TOKEN: '' } });
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      // The message, a blank line, then the subcommand's help.
      expect(run.stderr.slice(0, run.stderr.indexOf('\n\nUsage: ')), argv.join(' ')).toBe(message);
      expect(run.stderr).toContain(`\n\nUsage: api-hub ${argv[0]} `);
    }
  }, 90_000);

  it('names the provider that does not answer in the conformance report, exit 1', async () => {
    const run = await runApiHub(['conformance', '--action', CALENDAR, '--url', `${nobody}/calendar`, '--signing-secret', signingSecret]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain(`  FAIL  example 1: no answer from ${nobody}/calendar: connection refused (ECONNREFUSED)\n`);
    expect(run.stdout).toContain('8 of 8 checks failed.');
  }, 30_000);
});
