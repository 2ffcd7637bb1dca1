/**
 * Clients report how each peer connection they dialled ended
 * (`connection_outcome`, issue 10 item 3) and /metrics counts them as
 * `meshdrop_peer_connections_total{outcome=...}`: signed-in only, nothing
 * but the outcome, and within a per-session budget.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OUTCOME_BURST } from '../../protocol/constants.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { helloSocket } from '../helpers/raw.ts';
import { startTestTracker, userClient } from '../helpers/tracker.ts';

const KEY = (o: string) => `meshdrop_peer_connections_total{outcome="${o}"}`;
const countsOf = async (httpUrl: string) => {
  const body = (await (await fetch(`${httpUrl}/metrics`)).json()) as Record<string, number>;
  return { direct: body[KEY('direct')], relayed: body[KEY('relayed')], failed: body[KEY('failed')] };
};

test('signed-in reports of direct, relayed and failed connections are counted in /metrics', async (t) => {
  const tracker = await startTestTracker(t);
  assert.deepEqual(await countsOf(tracker.httpUrl), { direct: 0, relayed: 0, failed: 0 }, 'every outcome listed from the start, at zero');
  const ann = await userClient(t, tracker.wsUrl, 'ann');
  await ann.request('connection_outcome', { outcome: 'direct' });
  await ann.request('connection_outcome', { outcome: 'direct' });
  await ann.request('connection_outcome', { outcome: 'relayed' });
  await ann.request('connection_outcome', { outcome: 'failed' });
  assert.deepEqual(await countsOf(tracker.httpUrl), { direct: 2, relayed: 1, failed: 1 });
});

test('anonymous and malformed reports are refused and count nothing', async (t) => {
  const tracker = await startTestTracker(t);
  const raw = await helloSocket(t, tracker.wsUrl);
  raw.send({ id: 'a', type: 'connection_outcome', outcome: 'failed' });
  const anonymous = (await raw.next('a')) as { ok: boolean; error?: { code: string } };
  assert.equal(anonymous.ok, false);
  assert.equal(anonymous.error?.code, ErrorCode.Unauthenticated, 'an anonymous connection cannot report');
  const ann = await userClient(t, tracker.wsUrl, 'ann');
  const bad: Record<string, unknown>[] = [
    { outcome: 'lost' },
    { outcome: 'direct', peer: 'bob' },
    { outcome: 'direct', count: 1000 },
    {},
    { outcome: ['direct'] },
  ];
  for (const body of bad) {
    await assert.rejects(ann.request('connection_outcome', body as never), (err: { code?: string }) => err.code === ErrorCode.InvalidMessage, JSON.stringify(body));
  }
  assert.deepEqual(await countsOf(tracker.httpUrl), { direct: 0, relayed: 0, failed: 0 });
});

test("past its budget a session's reports are refused and not counted; another session has its own", async (t) => {
  const tracker = await startTestTracker(t);
  const liar = await userClient(t, tracker.wsUrl, 'liar');
  const answers = await Promise.allSettled(Array.from({ length: OUTCOME_BURST + 20 }, () => liar.request('connection_outcome', { outcome: 'failed' })));
  const accepted = answers.filter((a) => a.status === 'fulfilled').length;
  const refused = answers.filter((a) => a.status === 'rejected' && (a.reason as { code?: string }).code === ErrorCode.RateLimited).length;
  // The bucket refills while the burst is answered: a token or two at most.
  assert.ok(accepted >= OUTCOME_BURST && accepted <= OUTCOME_BURST + 2, `accepted ${accepted}`);
  assert.equal(accepted + refused, OUTCOME_BURST + 20, 'every other report refused as rate-limited');
  assert.equal((await countsOf(tracker.httpUrl)).failed, accepted, 'only the reports within the budget count');
  const honest = await userClient(t, tracker.wsUrl, 'honest');
  await honest.request('connection_outcome', { outcome: 'direct' });
  assert.equal((await countsOf(tracker.httpUrl)).direct, 1, "another session's report still counts");
});
