/**
 * The top of a V8 CPU profile (what BENCH_PROFILE writes): self time by function, with the share
 * of all samples, so a profile can be read and quoted without DevTools.
 *
 *   npx tsx bench/profile-top.ts <file.cpuprofile> [entries, default 25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, entries = '25'] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: bench/profile-top.ts <file.cpuprofile> [entries]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const frame = byId.get(id)!.callFrame;
  const where =
    frame.url === '' ? '' : ` ${frame.url.replace(/^file:\/\/.*?node_modules\//, '~/').replace(/^file:\/\/.*?\/(dist|src)\//, '$1/')}:${frame.lineNumber + 1}`;
  const key = `${frame.functionName || '(anonymous)'}${where}`;
  const dt = profile.timeDeltas[i] ?? 0;
  selfUs.set(key, (selfUs.get(key) ?? 0) + dt);
  total += dt;
});
const top = [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, Number(entries));
for (const [key, us] of top) console.log(`${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`);
console.log(`total ${(total / 1000).toFixed(0)} ms`);
