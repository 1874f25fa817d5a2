/**
 * Real third-party HTTP clients against a real hub, each written the way its users write it
 * (default headers, no tuning): discover, call and publish, with a non-ASCII payload. Each client
 * sends its own content type (axios ≤ 0.21.1 `application/json;charset=utf-8`, Python's
 * `application/json; charset=utf-8`, curl's `--json`), user agent and connection handling.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import axios from 'axios';
import axios0Module from 'axios0';
import axios021Module from 'axios021';
import got from 'got';
import nodeFetch from 'node-fetch';
import superagent from 'superagent';
import { fetch as undiciFetch, request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANGED, ECHO, startEchoSetup, type EchoSetup } from './support/echo-setup.js';
import { ADMIN_TOKEN } from './support/hub.js';

const run = promisify(execFile);
// CommonJS packages typed with `export default`: under NodeNext the instance is `.default`.
const axios0 = axios0Module.default;
const axios021 = axios021Module.default;
const PAYLOAD = { name: 'Conceição Ñandú 学生' };

interface Answer {
  status: number;
  body: unknown;
}

/** How one client discovers, calls and publishes: GET `url`, or POST `data` as JSON to `url`. */
interface Client {
  get(url: string, headers: Record<string, string>): Promise<Answer>;
  post(url: string, headers: Record<string, string>, data: unknown): Promise<Answer>;
}

/** curl prints the body, then the status on a line of its own. */
function curlAnswer(stdout: string): Answer {
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: JSON.parse(stdout.slice(0, cut)) };
}

const headerArgs = (headers: Record<string, string>) => Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);

const PYTHON = `
import json, sys, urllib.request, urllib.error
method, url, headers, data = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4]
body = None
if method == 'POST':
    body = json.dumps(json.loads(data)).encode('utf-8')
    headers['Content-Type'] = 'application/json; charset=utf-8'
req = urllib.request.Request(url, data=body, headers=headers, method=method)
try:
    with urllib.request.urlopen(req) as res:
        print(json.dumps({'status': res.status, 'body': json.load(res)}))
except urllib.error.HTTPError as err:
    print(json.dumps({'status': err.code, 'body': json.load(err)}))
`;

const CLIENTS: Record<string, Client> = {
  // Up to 0.21.1, axios sent `application/json;charset=utf-8`.
  'axios 0.21.1': {
    get: async (url, headers) => {
      const res = await axios021.get(url, { headers });
      return { status: res.status, body: res.data };
    },
    post: async (url, headers, data) => {
      const res = await axios021.post(url, data, { headers });
      return { status: res.status, body: res.data };
    },
  },
  'axios 0.27': {
    get: async (url, headers) => {
      const res = await axios0.get(url, { headers });
      return { status: res.status, body: res.data };
    },
    post: async (url, headers, data) => {
      const res = await axios0.post(url, data, { headers });
      return { status: res.status, body: res.data };
    },
  },
  'axios 1.x': {
    get: async (url, headers) => {
      const res = await axios.get(url, { headers });
      return { status: res.status, body: res.data };
    },
    post: async (url, headers, data) => {
      const res = await axios.post(url, data, { headers });
      return { status: res.status, body: res.data };
    },
  },
  'undici request': {
    get: async (url, headers) => {
      const res = await undiciRequest(url, { headers });
      return { status: res.statusCode, body: await res.body.json() };
    },
    post: async (url, headers, data) => {
      const res = await undiciRequest(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(data) });
      return { status: res.statusCode, body: await res.body.json() };
    },
  },
  'undici fetch': {
    get: async (url, headers) => {
      const res = await undiciFetch(url, { headers });
      return { status: res.status, body: await res.json() };
    },
    post: async (url, headers, data) => {
      const res = await undiciFetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(data) });
      return { status: res.status, body: await res.json() };
    },
  },
  'global fetch': {
    get: async (url, headers) => {
      const res = await fetch(url, { headers });
      return { status: res.status, body: await res.json() };
    },
    post: async (url, headers, data) => {
      const res = await fetch(url, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(data) });
      return { status: res.status, body: await res.json() };
    },
  },
  'node-fetch 3': {
    get: async (url, headers) => {
      const res = await nodeFetch(url, { headers });
      return { status: res.status, body: await res.json() };
    },
    post: async (url, headers, data) => {
      const res = await nodeFetch(url, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: JSON.stringify(data) });
      return { status: res.status, body: await res.json() };
    },
  },
  got: {
    get: async (url, headers) => {
      const res = await got(url, { headers });
      return { status: res.statusCode, body: JSON.parse(res.body) };
    },
    post: async (url, headers, data) => {
      const res = await got.post(url, { headers, json: data });
      return { status: res.statusCode, body: JSON.parse(res.body) };
    },
  },
  superagent: {
    get: async (url, headers) => {
      const res = await superagent.get(url).set(headers);
      return { status: res.status, body: res.body as unknown };
    },
    post: async (url, headers, data) => {
      const res = await superagent
        .post(url)
        .set(headers)
        .send(data as object);
      return { status: res.status, body: res.body as unknown };
    },
  },
  'curl (binary)': {
    get: async (url, headers) => curlAnswer((await run('curl', ['-sS', ...headerArgs(headers), '-w', '\n%{http_code}', url])).stdout),
    post: async (url, headers, data) =>
      curlAnswer((await run('curl', ['-sS', ...headerArgs(headers), '--json', JSON.stringify(data), '-w', '\n%{http_code}', url])).stdout),
  },
  'python3 urllib': {
    get: async (url, headers) => JSON.parse((await run('python3', ['-c', PYTHON, 'GET', url, JSON.stringify(headers), ''])).stdout) as Answer,
    post: async (url, headers, data) =>
      JSON.parse((await run('python3', ['-c', PYTHON, 'POST', url, JSON.stringify(headers), JSON.stringify(data)])).stdout) as Answer,
  },
};

describe('real third-party clients', () => {
  let setup: EchoSetup;
  beforeAll(async () => {
    setup = await startEchoSetup();
  });
  afterAll(async () => {
    await setup.close();
  });

  it.each(Object.keys(CLIENTS))('%s discovers, calls and publishes', async (name) => {
    const client = CLIENTS[name]!;
    const discovered = await client.get(`${setup.hub.url}/v1/services/discover/${ECHO}?version=1`, setup.headers);
    expect(discovered).toEqual({ status: 200, body: [{ id: 'echo', displayName: 'echo', icon: null, versions: [1] }] });
    const called = await client.post(`${setup.hub.url}/v1/services/call/${ECHO}/echo?version=1`, setup.headers, PAYLOAD);
    expect(called).toEqual({ status: 200, body: { data: { echo: PAYLOAD } } });
    const published = await client.post(`${setup.hub.url}/v1/services/publish/${CHANGED}`, setup.headers, PAYLOAD);
    expect(published).toEqual({ status: 201, body: { id: expect.stringMatching(/^evt_/) } });
  });

  // axios labels a request without data `application/x-www-form-urlencoded` (content-length 0).
  type Put = (url: string, data: unknown, config: object) => Promise<{ status: number; data: unknown; headers: Record<string, unknown> }>;
  it.each([
    ['axios 1.x', axios.put.bind(axios) as Put],
    ['axios 0.27', axios0.put.bind(axios0) as Put],
    ['axios 0.21', axios021.put.bind(axios021) as Put],
  ] as const)('%s sends a body-less admin PUT with its defaults, and a form body is still refused', async (name, put) => {
    const url = `${setup.hub.url}/v1/admin/communities/school-${name.replace(/\W/g, '')}`;
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const created = await put(url, undefined, { headers, validateStatus: () => true });
    expect({ status: created.status, body: created.data }).toEqual({ status: 201, body: { id: `school-${name.replace(/\W/g, '')}` } });
    const form = await put(url, 'name=school', { headers, validateStatus: () => true });
    expect(form.status).toBe(415);
    expect(form.data).toEqual({
      status: 415,
      type: 'UnsupportedMediaType',
      name: 'Unsupported Media Type',
      error: 'the body must be JSON, sent with content-type: application/json',
      requestId: form.headers['x-request-id'],
    });
  });
});
