/** The route of a page is its URL hash (`#/actions/<id>/<version>`): the hub serves one HTML file
 * per app, and nothing in the route reaches the server or its logs. */
import { useEffect, useState } from 'preact/hooks';

/** The path segments of the hash, decoded: `#/apps/erp` → ['apps', 'erp']. */
export function useHashRoute(): string[] {
  const read = () =>
    location.hash
      .replace(/^#\/?/, '')
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const onChange = () => {
      setRoute(read());
      window.scrollTo(0, 0);
    };
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** A hash link to segments, each encoded. */
export const href = (...segments: Array<string | number>) => `#/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`;
