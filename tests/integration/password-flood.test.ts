/**
 * Issue 8, item 12: a password flood (sign-ups at production scrypt cost)
 * must not hold up other users' writes. scrypt used to share libuv's thread
 * pool with the op log's writes and fsyncs, so another user's create_group
 * waited behind every queued hash. The assertion is about order, not time:
 * the other user's write is answered while most of the flood is still
 * unanswered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SCRYPT } from '../../tracker-server/auth.ts';
import { helloSocket } from '../helpers/raw.ts';
import { connectClient, startTestTracker } from '../helpers/tracker.ts';

const FLOOD = 24;

test('while sign-ups at the default scrypt cost flood the tracker, another user\'s create_group is answered before most of them', async (t) => {
  // No sign-up limit here: the flood must reach the hashing, which is what is measured.
  const tracker = await startTestTracker(t, { scrypt: DEFAULT_SCRYPT, signupBurst: 0 });
  const other = await connectClient(t, tracker.wsUrl);
  await other.request('create_user', { userId: 'bystander', password: 'password1' });
  await other.login('bystander', 'password1');

  const flooders = await Promise.all(Array.from({ length: FLOOD }, () => helloSocket(t, tracker.wsUrl)));
  let answered = 0;
  const flood = flooders.map((s, i) => {
    s.send({ id: `f${i}`, type: 'create_user', userId: `flood${i}`, password: 'password1' });
    // An anonymous socket hears nothing but its replies: the next message is this one's.
    return new Promise<Record<string, unknown>>((resolve) =>
      s.ws.once('message', (data) => {
        answered++;
        resolve(JSON.parse(String(data)));
      }),
    );
  });
  // The flood has reached the tracker and its hashing is under way.
  await Promise.race(flood);

  await other.request('create_group', { groupId: 'still-served' });
  const stillOpen = FLOOD - answered;
  assert.ok(stillOpen >= FLOOD / 2, `create_group was answered with only ${stillOpen} of ${FLOOD} sign-ups still open: it waited behind the hashing`);

  const replies = await Promise.all(flood);
  // Every sign-up was done in the end: the pool queues them, it does not drop them.
  assert.deepEqual(replies.map((r) => r.ok), Array(FLOOD).fill(true));
});
