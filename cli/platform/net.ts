/**
 * The network half of the Node platform: tracker sockets through `ws`, and
 * peer connections through the very connector browsers use
 * (web/src/platform/rtc.ts, @thaunknown/simple-peer). In Node simple-peer
 * reaches WebRTC through webrtc-polyfill, which is node-datachannel's
 * libdatachannel: so a command-line peer speaks to browsers with the same
 * signals, the same channel settings and the same ICE servers (the tracker's,
 * none by default) by construction, not by imitation.
 */
import { WebSocket } from 'ws';
import type { SocketFactory, SocketLike } from '../../client/ports.ts';
import { BrowserPeerConnector } from '../../web/src/platform/rtc.ts';

export const nodeSocketFactory: SocketFactory = (url: string): SocketLike => new WebSocket(url) as unknown as SocketLike;

/** The PeerConnector for Node. */
export class NodePeerConnector extends BrowserPeerConnector {}
