/** A GET on a new connection (no keep-alive pool), to see whether a stopping hub still accepts connections. */
import { request } from 'node:http';

/** The status of `url + path`, `refused` when no connection could be made, `error` otherwise. */
export function freshRequest(url: string, path: string): Promise<number | 'refused' | 'error'> {
  return new Promise((done) => {
    const req = request(`${url}${path}`, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'refused' : 'error'));
    req.end();
  });
}
