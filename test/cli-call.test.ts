/**
 * `api-hub call` and `api-hub publish` against a real hub, as a script in a shell would use them:
 * payload from --data or stdin, the answer on stdout, hub errors on stderr (or whole with --json),
 * exit codes 0, 1 and 2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runApiHub } from './support/cli.js';
import { CHANGED, COMMUNITY, ECHO, startEchoSetup, type EchoSetup } from './support/echo-setup.js';
import { until } from './support/wait.js';

describe('api-hub call and publish', () => {
  let setup: EchoSetup;
  let app: string[];

  beforeAll(async () => {
    setup = await startEchoSetup();
    app = ['--hub', setup.hub.url, '--token', setup.token, '--community', COMMUNITY];
  });
  afterAll(async () => {
    await setup.close();
  });

  it('calls with --data and prints the data the provider answered', async () => {
    const run = await runApiHub(['call', '--action', ECHO, '--provider', 'echo', ...app, '--data', '{"name":"Ada"}']);
    expect(run).toEqual({ code: 0, stdout: JSON.stringify({ echo: { name: 'Ada' } }, null, 2) + '\n', stderr: '' });
  });

  it('reads the payload from stdin, and prints the whole answer with --json', async () => {
    const run = await runApiHub(['call', '--action', ECHO, '--provider', 'echo', ...app, '--json', '--version', '1'], { input: '{"name":"Grace"}' });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ data: { echo: { name: 'Grace' } } });
  });

  it('takes the hub, token and community from the environment', async () => {
    const env = { API_HUB_URL: setup.hub.url, API_HUB_TOKEN: setup.token, API_HUB_COMMUNITY: COMMUNITY };
    const run = await runApiHub(['call', '--action', ECHO, '--provider', 'echo', '--data', '{"name":"Env"}'], { env });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ echo: { name: 'Env' } });
  });

  it('prints a hub error on stderr with its pointers, exit 1; whole on stdout with --json', async () => {
    const run = await runApiHub(['call', '--action', ECHO, '--provider', 'echo', ...app, '--data', '{"name":5}']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      new RegExp(`^400 Bad Request: the body does not match the request schema of "${ECHO}" version 1\n  /name: must be string\n  request id \\S+\n$`),
    );

    const json = await runApiHub(['call', '--action', ECHO, '--provider', 'echo', ...app, '--data', '{"name":5}', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      status: 400,
      type: 'InvalidRequest',
      name: 'Bad Request',
      error: `the body does not match the request schema of "${ECHO}" version 1`,
      details: [{ pointer: '/name', message: 'must be string', keyword: 'type' }],
      requestId: expect.stringMatching(/\S/),
    });
  }, 60_000);

  it('exits 1 with the 401 when the token is wrong', async () => {
    const run = await runApiHub([
      'call',
      '--action',
      ECHO,
      '--provider',
      'echo',
      '--hub',
      setup.hub.url,
      '--token',
      'not-a-token',
      '--community',
      COMMUNITY,
      '--data',
      '{"name":"x"}',
      '--json',
    ]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 401, type: 'Unauthorized', name: 'Unauthorized' });
  }, 60_000);

  it('publishes an event, which the subscriber receives; the same idempotency key publishes once', async () => {
    const key = ['--idempotency-key', 'cli-publish-1'];
    const first = await runApiHub(['publish', '--action', CHANGED, ...app, ...key], { input: '{"name":"Lin"}' });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const id = /^published event (\S+)\n$/.exec(first.stdout)?.[1];
    expect(id).toBeDefined();
    const again = await runApiHub(['publish', '--action', CHANGED, ...app, ...key, '--json', '--data', '{"name":"Lin"}']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ id, replayed: true });
    const delivered = await until(() => setup.subscriber.received.find((r) => r.body.includes('"Lin"')));
    expect(JSON.parse(delivered.body)).toMatchObject({ context: { action: CHANGED, eventId: id }, data: { name: 'Lin' } });
  }, 60_000);

  it('refuses a bad command line with exit 2 before sending anything', async () => {
    const before = setup.provider.received.length;
    for (const [argv, message] of [
      [['call', '--provider', 'echo', ...app, '--data', '{}'], /--action is required/],
      [['call', '--action', ECHO, ...app, '--data', '{}'], /--provider is required/],
      [
        ['call', '--action', ECHO, '--provider', 'echo', '--hub', setup.hub.url, '--community', COMMUNITY, '--data', '{}'],
        /--token \(or API_HUB_TOKEN\) is required/,
      ],
      [['call', '--action', ECHO, '--provider', 'echo', ...app, '--data', '{name:'], /the payload \(--data\) is not JSON/],
      [['call', '--action', ECHO, '--provider', 'echo', ...app, '--hub', 'ftp://x', '--data', '{}'], /--hub must be an http\(s\) URL/],
      [['publish', ...app, '--data', '{}'], /--action is required/],
      [['publish', '--action', CHANGED, ...app], /the payload \(stdin\) is not JSON/],
    ] as [string[], RegExp][]) {
      const run = await runApiHub(argv);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toContain(`Usage: api-hub ${argv[0]}`);
    }
    expect(setup.provider.received.length).toBe(before);
  }, 60_000);
});
