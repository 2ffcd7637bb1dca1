/**
 * What the client core needs from its platform, as small interfaces. The
 * browser fills them with WebSocket, IndexedDB, a hashing worker and
 * RTCPeerConnection; Node tests with `ws`, files and node-datachannel.
 */

/** The subset of the WebSocket API the tracker connection uses (browser WebSocket and `ws` both fit). */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type SocketFactory = (url: string) => SocketLike;
