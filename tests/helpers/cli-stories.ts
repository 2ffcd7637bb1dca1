/**
 * The opening the command-line tests share, as two people do it with
 * `meshdrop`: a real tracker on port 0; alice and bob each sign up and in
 * (a home folder each); alice creates "family", bob asks to join and alice
 * accepts him. Built from the steps in cli.ts.
 */
import type { RunningTracker } from '../../tracker-server/server.ts';
import { ok, signedIn, type CliPerson } from './cli.ts';
import { startTestTracker, type Teardown } from './tracker.ts';

/** A tracker, and alice and bob both members of "family" on it. */
export async function aliceAndBobInFamily(t: Teardown): Promise<{ tracker: RunningTracker; alice: CliPerson; bob: CliPerson }> {
  const tracker = await startTestTracker(t);
  const alice = await signedIn(t, 'alice', tracker.wsUrl);
  const bob = await signedIn(t, 'bob', tracker.wsUrl);
  await ok(alice, ['create_group', 'family']);
  await ok(bob, ['join_group', 'family']);
  await ok(alice, ['accept_request', 'family', 'bob']);
  return { tracker, alice, bob };
}
