/**
 * CDP Profiler of a page (its main thread, and each dedicated worker it has
 * started, attached as CDP targets) while a benchmark step runs, summarised
 * as the functions with the most self time. The bench prints the summary;
 * docs/transfer-profile.md is written from it.
 */
import type { CDPSession, Page } from 'playwright-core';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileRow {
  /** function (file:line), file reduced to its last path part */
  where: string;
  selfMs: number;
  /** share of all sampled time, idle included */
  share: number;
}

export interface ProfileSummary {
  /** Sampled wall time of the thread. */
  totalMs: number;
  /** Time the thread was busy (not "(idle)"). */
  busyMs: number;
  top: ProfileRow[];
}

/** Starts profiling the page's main thread; the returned stop() gives its summary. */
export async function profilePage(page: Page, intervalUs = 200): Promise<{ stop(topN?: number): Promise<ProfileSummary> }> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: intervalUs });
  await cdp.send('Profiler.start');
  return {
    async stop(topN = 12) {
      const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile };
      await cdp.detach().catch(() => undefined);
      return summarise(profile, topN);
    },
  };
}

/** Self time per function (name + place), biggest first. Pure. */
export function summarise(profile: Profile, topN: number): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + (deltas[i] ?? 0) / 1000);
  const rows = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, ms] of self) {
    const f = byId.get(id)!.callFrame;
    total += ms;
    if (f.functionName === '(idle)') {
      idle += ms;
      continue;
    }
    const file = f.url ? f.url.split('/').at(-1)!.split('?')[0] : '';
    const where = `${f.functionName || '(anonymous)'}${file ? ` (${file}:${f.lineNumber + 1})` : ''}`;
    rows.set(where, (rows.get(where) ?? 0) + ms);
  }
  const top = [...rows]
    .sort((a, b) => b[1] - a[1])
    .slice(0, topN)
    .map(([where, ms]) => ({ where, selfMs: Math.round(ms), share: Math.round((ms / total) * 1000) / 10 }));
  return { totalMs: Math.round(total), busyMs: Math.round(total - idle), top };
}
