/** The part of @thaunknown/simple-peer (lite build: data channels only) that rtc.ts uses; the package ships no types. */
declare module '@thaunknown/simple-peer/lite.js' {
  export interface SimplePeerOptions {
    initiator?: boolean;
    trickle?: boolean;
    config?: RTCConfiguration;
    channelConfig?: RTCDataChannelInit;
    objectMode?: boolean;
  }
  export default class Peer {
    constructor(options?: SimplePeerOptions);
    readonly connected: boolean;
    readonly destroyed: boolean;
    readonly bufferSize: number;
    /** The underlying data channel once it exists (simple-peer's own field). */
    readonly _channel: RTCDataChannel | null;
    readonly _pc: RTCPeerConnection | null;
    signal(data: unknown): void;
    send(data: ArrayBufferView | ArrayBuffer | string | Blob): void;
    destroy(err?: Error): void;
    on(event: 'signal', listener: (data: unknown) => void): this;
    on(event: 'connect' | 'close', listener: () => void): this;
    on(event: 'data', listener: (data: Uint8Array) => void): this;
    on(event: 'error', listener: (err: Error & { code?: string }) => void): this;
    removeAllListeners(event?: string): this;
  }
}
