import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holdersText, isUnavailable, timeAgo, unavailableText } from '../../web/src/ui/availability.ts';

const now = Date.UTC(2026, 11, 1, 12, 0, 0);

test('timeAgo says it as a person would', () => {
  assert.equal(timeAgo(now - 10_000, now), 'just now');
  assert.equal(timeAgo(now + 5_000, now), 'just now', 'a clock a little ahead is not "in the future"');
  assert.equal(timeAgo(now - 60_000, now), '1 minute ago');
  assert.equal(timeAgo(now - 5 * 60_000, now), '5 minutes ago');
  assert.equal(timeAgo(now - 3 * 3600_000, now), '3 hours ago');
  assert.equal(timeAgo(now - 2 * 86400_000, now), '2 days ago');
});

test('an unavailable file says who shared it, when, and when it was last online', () => {
  assert.equal(
    unavailableText({ sharedBy: 'alice', sharedAt: now - 2 * 3600_000, lastOnlineAt: now - 5 * 60_000 }, 'bob', now),
    'Unavailable: nobody who has it is online. Shared by alice 2 hours ago; last online 5 minutes ago.',
  );
  assert.equal(
    unavailableText({ sharedBy: 'bob', sharedAt: now - 86400_000 }, 'bob', now),
    'Unavailable: nobody who has it is online. Shared by you 1 day ago.',
    'without a last-online time (the tracker never saw anyone go) it says no more than it knows',
  );
});

test('unavailable: nobody online holds any of it and this tab lacks it; never an empty file', () => {
  assert.equal(isUnavailable({ holdersOnline: 0, size: 10 }, undefined), true);
  assert.equal(isUnavailable({ holdersOnline: 1, size: 10 }, undefined), false);
  assert.equal(isUnavailable({ holdersOnline: 0, size: 10 }, { shared: true }), false);
  assert.equal(isUnavailable({ holdersOnline: 0, size: 10 }, { state: 'complete' }), false);
  assert.equal(isUnavailable({ holdersOnline: 0, size: 10 }, { state: 'downloading' }), true);
  assert.equal(isUnavailable({ holdersOnline: 0, size: 0 }, undefined), false);
});

test('who has a file, in plain words: holders have every piece; those downloading are said apart', () => {
  assert.equal(holdersText({ holdersOnline: 0 }), 'nobody online has it');
  assert.equal(holdersText({ holdersOnline: 1 }), '1 person online has it');
  assert.equal(holdersText({ holdersOnline: 2, partialOnline: 0 }), '2 people online have it');
  assert.equal(holdersText({ holdersOnline: 2, partialOnline: 1 }), '2 people online have it, 1 more is downloading it');
  assert.equal(holdersText({ holdersOnline: 1, partialOnline: 3 }), '1 person online has it, 3 more are downloading it');
  assert.equal(holdersText({ holdersOnline: 0, partialOnline: 1 }), 'nobody online has all of it; 1 person has part of it');
  assert.equal(isUnavailable({ holdersOnline: 0, partialOnline: 1, size: 10 }, undefined), false, 'part of it online is not unavailable');
});
