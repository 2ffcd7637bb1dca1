/** Builds ops by hand for pure state tests. */
import type { Op, OpBody } from '../../protocol/ops.ts';

export function opMaker(origin: string) {
  let seq = 0;
  return (hlc: number, body: OpBody): Op => ({ ...body, origin, seq: ++seq, hlc }) as Op;
}

export const actor = (by: string, byKey: string) => ({ by, byKey });
