// Where a ping's time goes: vigil (dist/) runs with `node --cpu-prof` under the ingest load,
// and the profile it writes on exit is summed up by function (self time, as a share of the
// time not idle). The .cpuprofile file stays in the temp dir for Chrome DevTools or speedscope.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCheck, fire, INGEST_DEFAULTS, type IngestOptions } from './ingest.ts';
import { fmt, table } from './report.ts';
import { buildVigil, note, startVigil } from './servers.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileResult {
  file: string;
  rps: number;
  /** ms of samples that were not idle */
  busyMs: number;
  top: { name: string; where: string; share: number }[];
}

const IDLE = new Set(['(idle)', '(root)']);

/** Self time per function (name and file:line), as a share of the busy time. */
export function summarize(profile: CpuProfile, count = 25): Pick<ProfileResult, 'busyMs' | 'top'> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, { name: string; where: string; us: number }>();
  let busy = 0;
  for (const [i, id] of profile.samples.entries()) {
    const node = byId.get(id)!;
    const name = node.callFrame.functionName || '(anonymous)';
    if (IDLE.has(name)) continue;
    const us = profile.timeDeltas[i] ?? 0;
    busy += us;
    const file = node.callFrame.url.replace(/^.*\/(node_modules|dist)\//, '$1/').replace(/^file:\/\//, '');
    const where = file ? `${file}:${node.callFrame.lineNumber + 1}` : '';
    const key = `${name} ${where}`;
    const entry = self.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    self.set(key, entry);
  }
  const top = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, count)
    .map((e) => ({ name: e.name, where: e.where, share: e.us / busy }));
  return { busyMs: busy / 1000, top };
}

export async function runProfile(opts: IngestOptions = INGEST_DEFAULTS): Promise<ProfileResult> {
  buildVigil();
  const dir = mkdtempSync(join(tmpdir(), 'vigil-profile-'));
  const vigil = await startVigil({ nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  let rps: number;
  try {
    const checkId = await createCheck(vigil);
    note(`profile: ${opts.durationS} s of pings with ${opts.connections} connections`);
    rps = (await fire(`${vigil.url}/ping/${checkId}`, opts, opts.durationS)).requests.average;
  } finally {
    await vigil.stop(); // the profile is written as the process exits
  }
  const name = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!name) throw new Error(`vigil wrote no .cpuprofile into ${dir}`);
  const file = join(dir, name);
  return { file, rps, ...summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile) };
}

export function profileMarkdown(r: ProfileResult): string {
  return [
    `### Where a ping's CPU goes (\`--cpu-prof\`, ${fmt(r.rps)} pings/s)`,
    '',
    `Self time by function, as a share of the ${fmt(r.busyMs)} ms the process was not idle. Profile: \`${r.file}\``,
    '',
    table(
      ['share', 'function', 'where'],
      r.top.map((t) => [`${fmt(t.share * 100, 1)} %`, `\`${t.name}\``, t.where]),
    ),
  ].join('\n');
}
