/**
 * parseRequest on signal frames (issue 8, item 2: the depth check must not
 * slow the signal fast path): `npx tsx bench/parse.ts [path/to/tracker.ts]`.
 * Times parseRequest of this tree (or of another copy of protocol/tracker.ts,
 * to compare with an older one) on an ICE candidate and an SDP offer, in
 * rounds, and prints the median ns per parse; the last line is one JSON object.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const modulePath = process.argv[2] ? pathToFileURL(resolve(process.argv[2])).href : '../protocol/tracker.ts';
const { parseRequest } = (await import(modulePath)) as typeof import('../protocol/tracker.ts');

const fileId = 'a'.repeat(40);
const envelope = (signal: unknown) => ({ link: 'L1234567', signal });
const frames = {
  candidate: JSON.stringify({ id: 'r-1', type: 'signal', fileId, to: 'peer-abcdefgh', data: envelope({ candidate: { candidate: 'candidate:842163049 1 udp 1677729535 192.0.2.7 52410 typ srflx raddr 0.0.0.0 rport 0 generation 0 ufrag sN3b network-cost 999', sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'sN3b' } }) }),
  offer: JSON.stringify({ id: 'r-2', type: 'signal', fileId, to: 'peer-abcdefgh', data: envelope({ type: 'offer', sdp: 'v=0\r\n' + 'a=candidate:1 1 udp 2122260223 192.0.2.7 54321 typ host generation 0\r\n'.repeat(20) }) }),
};
const ROUNDS = 9;
const PER_ROUND = 50_000;
const result: Record<string, number> = {};
for (const [name, frame] of Object.entries(frames)) {
  const rounds: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < PER_ROUND; i++) if (!parseRequest(frame).ok) throw new Error('refused');
    rounds.push(Number(process.hrtime.bigint() - start) / PER_ROUND);
  }
  rounds.sort((a, b) => a - b);
  result[`${name}NsPerParse`] = Math.round(rounds[Math.floor(ROUNDS / 2)]!);
  result[`${name}FrameChars`] = frame.length;
  console.log(`${name} (${frame.length} chars): ${result[`${name}NsPerParse`]} ns per parse (median of ${ROUNDS} rounds of ${PER_ROUND})`);
}
console.log(JSON.stringify(result));
