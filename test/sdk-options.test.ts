/**
 * The SDK's constructors check their options: a missing hub URL, token or community, a signing
 * secret that is not `whsec_…`, a bad number or store throws a TypeError naming the option and
 * the form expected, at construction, and never shows a secret's text.
 */
import { describe, expect, it } from 'vitest';
import { createClient, createProviderHandler, createSubscriberHandler, MemoryWebhookIdStore } from '../packages/sdk/src/index.js';

const SECRET = 'whsec_' + Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
const CLIENT = { hubUrl: 'http://127.0.0.1:8080', token: 'hub_abc', community: 'school' };
const PROVIDER = { action: '@layers:Calendar:getRelated' as const, signingSecrets: [SECRET] };
const SUBSCRIBER = { action: '@layers:education:Entrance:created' as const, signingSecrets: [SECRET] };

/** The TypeError a constructor throws, for options given loosely as a JavaScript caller would. */
function thrown(construct: () => unknown): TypeError {
  try {
    construct();
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError);
    return error as TypeError;
  }
  throw new Error('expected a TypeError');
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const loose = (value: unknown): any => value;

describe('createClient', () => {
  it.each([
    [undefined, 'createClient: options must be an object, not undefined (an unset environment variable?)'],
    [
      { ...CLIENT, hubUrl: undefined },
      'createClient: hubUrl must be an http(s) URL such as "https://hub.example.org", not undefined (an unset environment variable?)',
    ],
    [{ ...CLIENT, hubUrl: 'hub.example.org' }, 'createClient: hubUrl must be an http(s) URL such as "https://hub.example.org", not "hub.example.org"'],
    [
      { ...CLIENT, hubUrl: 'ftp://hub.example.org' },
      'createClient: hubUrl must be an http(s) URL such as "https://hub.example.org", not "ftp://hub.example.org"',
    ],
    [
      { ...CLIENT, token: '' },
      "createClient: token must be the app's token (hub_…, from POST /v1/admin/apps/<app>/tokens), not an empty string (an unset environment variable?)",
    ],
    [{ ...CLIENT, token: 42 }, "createClient: token must be the app's token (hub_…, from POST /v1/admin/apps/<app>/tokens), not number"],
    [{ ...CLIENT, community: undefined }, 'createClient: community must be a community id, not undefined (an unset environment variable?)'],
    [{ ...CLIENT, retries: -1 }, 'createClient: retries must be an integer of at least 0, not number'],
    [{ ...CLIENT, retries: 1.5 }, 'createClient: retries must be an integer of at least 0, not number'],
    [{ ...CLIENT, requestTimeoutMs: '5000' }, 'createClient: requestTimeoutMs must be a number of at least 1, not "5000"'],
    [{ ...CLIENT, fetch: 'fetch' }, 'createClient: fetch must be a function, not "fetch"'],
  ])('refuses %j', (options, message) => {
    expect(thrown(() => createClient(loose(options))).message).toBe(message);
  });

  it('takes good options, and a trailing slash on the URL', () => {
    expect(typeof createClient({ ...CLIENT, hubUrl: 'https://hub.example.org/', retries: 0, requestTimeoutMs: 500 }).call).toBe('function');
  });
});

describe('createProviderHandler and createSubscriberHandler', () => {
  const answer = () => ({ result: [] });

  it.each([
    [
      { ...PROVIDER, action: undefined },
      'createProviderHandler: action must be an action id such as "@layers:Calendar:getRelated", not undefined (an unset environment variable?)',
    ],
    [
      { ...PROVIDER, signingSecrets: undefined },
      'createProviderHandler: signingSecrets must be a non-empty array of signing secrets (whsec_…, from GET /v1/admin/apps/<app>/secrets), not undefined (an unset environment variable?)',
    ],
    [
      { ...PROVIDER, signingSecrets: SECRET },
      `createProviderHandler: signingSecrets must be a non-empty array of signing secrets (whsec_…, from GET /v1/admin/apps/<app>/secrets), not a string of ${SECRET.length} characters starting with whsec_`,
    ],
    [
      { ...PROVIDER, signingSecrets: [] },
      'createProviderHandler: signingSecrets must be a non-empty array of signing secrets (whsec_…, from GET /v1/admin/apps/<app>/secrets), not an array',
    ],
    [
      { ...PROVIDER, signingSecrets: [SECRET, undefined] },
      'createProviderHandler: signingSecrets[1] must be a signing secret: whsec_ followed by base64, not undefined (an unset environment variable?)',
    ],
    // The legacy secret given as the signing secret: refused, and its text not shown.
    [
      { ...PROVIDER, signingSecrets: ['s3cr3t-legacy-secret!'] },
      'createProviderHandler: signingSecrets[0] must be a signing secret: whsec_ followed by base64, not a string of 21 characters',
    ],
    [
      { ...PROVIDER, secrets: [''] },
      "createProviderHandler: secrets[0] must be the app's legacy secret, a non-empty string, not an empty string (an unset environment variable?)",
    ],
    [{ ...PROVIDER, secrets: 'legacy' }, 'createProviderHandler: secrets must be an array of strings, not a string of 6 characters'],
    [{ ...PROVIDER, version: 0 }, 'createProviderHandler: version must be an integer of at least 1, not number'],
    [{ ...PROVIDER, toleranceSeconds: 0 }, 'createProviderHandler: toleranceSeconds must be a number of at least 1, not number'],
    [{ ...PROVIDER, maxBodyBytes: 1.5 }, 'createProviderHandler: maxBodyBytes must be an integer of at least 1, not number'],
  ])('the provider handler refuses %j', (options, message) => {
    expect(thrown(() => createProviderHandler(loose(options), answer)).message).toBe(message);
  });

  it('the provider handler needs its function', () => {
    expect(thrown(() => createProviderHandler(PROVIDER, loose(undefined))).message).toBe(
      'createProviderHandler: the second argument must be the function handling each request, not undefined (an unset environment variable?)',
    );
  });

  it('the subscriber handler checks the same, and its store', () => {
    expect(thrown(() => createSubscriberHandler(loose({ ...SUBSCRIBER, signingSecrets: ['whsec_!'] }), () => {})).message).toBe(
      'createSubscriberHandler: signingSecrets[0] must be a signing secret: whsec_ followed by base64, not a string of 7 characters starting with whsec_',
    );
    expect(thrown(() => createSubscriberHandler(loose({ ...SUBSCRIBER, dedupe: new Map() }), () => {})).message).toBe(
      'createSubscriberHandler: dedupe must be a store with claim() and release() (e.g. new MemoryWebhookIdStore()), not object',
    );
    expect(typeof createSubscriberHandler({ ...SUBSCRIBER, dedupe: new MemoryWebhookIdStore(), secrets: ['legacy'] }, () => {}).node).toBe('function');
  });
});
