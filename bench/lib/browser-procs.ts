/** CPU time and memory of one person's Chromium processes, read from /proc (Linux), for the transfer benchmarks. */
import { readFile, readdir } from 'node:fs/promises';
import type { Person } from '../../tests/helpers/browser.ts';

/** CPU time (user + system, ms) of a person's whole Chromium process tree, from /proc. */
export async function cpuMs(person: Person): Promise<number> {
  const pids = await readdir('/proc').then((d) => d.filter((x) => /^\d+$/.test(x)));
  const info = new Map<number, { ppid: number; ticks: number; cmd: string }>();
  for (const pid of pids) {
    try {
      const st = await readFile(`/proc/${pid}/stat`, 'utf8');
      const fields = st.slice(st.lastIndexOf(')') + 2).split(' ');
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      info.set(Number(pid), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), cmd });
    } catch {
      /* gone meanwhile */
    }
  }
  const roots = [...info].filter(([, p]) => p.cmd.includes(`--user-data-dir=${person.profileDir}`) && !p.cmd.includes('--type=')).map(([pid]) => pid);
  const tree = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of info) if (!tree.has(pid) && tree.has(p.ppid)) (tree.add(pid), (grew = true));
  }
  let ticks = 0;
  for (const pid of tree) ticks += info.get(pid)!.ticks;
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}
/** Resident memory (bytes) of a person's renderer processes together, from /proc. */
export async function rendererRss(person: Person): Promise<number> {
  let total = 0;
  for (const pid of await readdir('/proc').then((d) => d.filter((x) => /^\d+$/.test(x)))) {
    try {
      const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('--type=renderer')) continue;
      // Renderers do not carry the profile dir; the harness page's renderer is a child of this person's browser.
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const parentCmd = await readFile(`/proc/${ppid}/cmdline`, 'utf8').catch(() => '');
      if (!parentCmd.includes(`--user-data-dir=${person.profileDir}`)) continue;
      const rss = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
      total += Number(rss?.[1] ?? 0) * 1024;
    } catch {
      /* gone meanwhile */
    }
  }
  return total;
}

/**
 * CPU time (ms) of each thread of a person's Chromium processes, keyed by
 * process type and thread name ("renderer/CrRendererMain",
 * "browser/WebRTC_Network"…), threads of one name summed. Two readings'
 * difference says which threads a transfer kept busy (`--threads`).
 */
export async function threadCpuMs(person: Person): Promise<Map<string, number>> {
  const pids = await readdir('/proc').then((d) => d.filter((x) => /^\d+$/.test(x)));
  const info = new Map<number, { ppid: number; cmd: string }>();
  for (const pid of pids) {
    try {
      const st = await readFile(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]);
      info.set(Number(pid), { ppid, cmd: await readFile(`/proc/${pid}/cmdline`, 'utf8') });
    } catch {
      /* gone meanwhile */
    }
  }
  const tree = new Set([...info].filter(([, p]) => p.cmd.includes(`--user-data-dir=${person.profileDir}`) && !p.cmd.includes('--type=')).map(([pid]) => pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of info) if (!tree.has(pid) && tree.has(p.ppid)) (tree.add(pid), (grew = true));
  }
  const out = new Map<string, number>();
  for (const pid of tree) {
    const type = /--type=([\w-]+)/.exec(info.get(pid)!.cmd)?.[1] ?? 'browser';
    const kind = type === 'utility' ? `utility:${/--utility-sub-type=([\w.]+)/.exec(info.get(pid)!.cmd)?.[1]?.split('.').at(-2) ?? '?'}` : type;
    try {
      for (const tid of await readdir(`/proc/${pid}/task`)) {
        try {
          const st = await readFile(`/proc/${pid}/task/${tid}/stat`, 'utf8');
          const comm = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')')).replace(/\d+$/, '');
          const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
          const key = `${kind}/${comm}`;
          out.set(key, (out.get(key) ?? 0) + ((Number(f[11]) + Number(f[12])) * 1000) / 100);
        } catch {
          /* thread gone */
        }
      }
    } catch {
      /* process gone */
    }
  }
  return out;
}
