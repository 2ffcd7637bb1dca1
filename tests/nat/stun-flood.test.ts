/**
 * The tracker's STUN port under a flood, seen from real homes: an attacker on
 * the public segment (no NAT in front) floods the tracker's UDP port with
 * junk and with well-formed binding requests as fast as it can, while Alice
 * and Bob, each behind a cone NAT, sign up, share and download through the
 * app. Their browsers' own binding requests (through their NATs) are still
 * answered, so they gather server-reflexive candidates and connect directly;
 * everything else the tracker does (the app's HTTP, sign-up, groups,
 * signalling) is unharmed; the attacker gets at most its per-source share of
 * answers. tests/integration/stun.test.ts proves the same bounds on loopback
 * with a STUN client; this is the whole path a user depends on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertNoBrowserErrors, withBrowserErrors } from '../helpers/browser.ts';
import { eventually } from '../helpers/tracker.ts';
import { NatTopology, PUBLIC_IP, TRACKER_PORT } from '../helpers/netns.ts';
import { pairsSeen, shareAcrossHomes } from '../helpers/netns-app.ts';
import { saveDownload, sha1 } from '../helpers/ui.ts';
import { STUN_PER_SOURCE_BURST, STUN_PER_SOURCE_PER_SECOND } from '../../tracker-server/stun-server.ts';

/**
 * Runs inside the attacker's namespace until SIGTERM, then prints what it
 * sent and how many answers its well-formed requests got.
 */
const FLOODER = `
  const dgram = require('node:dgram'); const { randomBytes } = require('node:crypto');
  const junk = dgram.createSocket('udp4'); const greedy = dgram.createSocket('udp4');
  let junkSent = 0, validSent = 0, answers = 0; const started = Date.now();
  greedy.on('message', () => answers++);
  const valid = () => { const b = Buffer.alloc(20); b.writeUInt16BE(1, 0); b.writeUInt32BE(0x2112a442, 4); randomBytes(12).copy(b, 8); return b; };
  const shapes = [() => randomBytes(1 + ((Math.random() * 600) | 0)), () => valid().subarray(0, 19), () => { const b = valid(); b.writeUInt16BE(400, 2); return b; }, () => Buffer.alloc(0)];
  process.on('SIGTERM', () => { console.log(JSON.stringify({ junkSent, validSent, answers, seconds: (Date.now() - started) / 1000 })); process.exit(0); });
  junk.bind(0, () => greedy.bind(0, async () => {
    for (let i = 0; ; i++) {
      await Promise.all(Array.from({ length: 64 }, (_, k) => new Promise((r) => k % 2 ? greedy.send(valid(), ${TRACKER_PORT}, '${PUBLIC_IP}', r) : junk.send(shapes[(i + k) % 4](), ${TRACKER_PORT}, '${PUBLIC_IP}', r))));
      junkSent += 32; validSent += 32;
      await new Promise((r) => setImmediate(r));
    }
  }));`;

test('a flood of junk and greedy datagrams on the STUN port: browsers behind NATs still get answers and connect directly, the app works, the flooder is capped', { timeout: 240_000 }, async (t) => {
  const topo = await NatTopology.create(t, { a: 'cone', b: 'cone' });
  const tracker = await topo.startTracker();
  const attacker = topo.addPublicHost('attacker', 66);
  const flood = topo.spawn(attacker.ns, process.execPath, ['-e', FLOODER]);
  // Under way before anyone arrives.
  await eventually(() => assert.equal(flood.child.exitCode, null, flood.output()), 1000);
  await new Promise((r) => setTimeout(r, 500));

  const { alice, bob, original, name, card } = await shareAcrossHomes(topo, tracker, { bytes: 2 * 1024 * 1024 + 99 });
  await withBrowserErrors([alice, bob], async () => {
    await card.getByText('Complete').waitFor({ timeout: 120_000 });
    const saved = await saveDownload(bob.page, card.getByRole('button', { name: `Save ${name}`, exact: true }));
    assert.equal(sha1(saved.bytes), sha1(original), 'byte-exact');
  });
  // Bob's browser connected through the NATs' public addresses: its binding requests were answered under the flood.
  const pairs = await pairsSeen(bob);
  assert.ok(pairs.length > 0, 'Bob connected');
  for (const pair of pairs) assert.ok(['srflx', 'prflx'].includes(pair.local) && ['srflx', 'prflx'].includes(pair.remote), JSON.stringify(pair));
  assert.equal((await tracker.get('/healthz')).status, 200, 'HTTP answers during the flood');

  flood.child.kill('SIGTERM');
  await flood.exited;
  const stats = JSON.parse(flood.output().trim().split('\n').at(-1)!) as { junkSent: number; validSent: number; answers: number; seconds: number };
  assert.ok(stats.validSent > 10 * stats.answers, `the flood was real: ${JSON.stringify(stats)}`);
  const cap = STUN_PER_SOURCE_BURST + STUN_PER_SOURCE_PER_SECOND * (stats.seconds + 1);
  assert.ok(stats.answers <= cap, `the flooder got at most its per-source share (${cap}): ${JSON.stringify(stats)}`);
  t.diagnostic(`flood: ${JSON.stringify(stats)}`);
  assertNoBrowserErrors(alice, bob);
});
