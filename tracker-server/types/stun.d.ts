/**
 * The part of the `stun` package (2.1.0, plain JavaScript, no types of its
 * own) that the tracker and its tests use.
 */
declare module 'stun' {
  import type { Socket } from 'node:dgram';

  export interface StunAddress {
    family: 'IPv4' | 'IPv6';
    address: string;
    port: number;
  }
  export interface StunAttribute {
    type: number;
    value: unknown;
  }
  /** A message being built (StunRequest is the package's writable message). */
  export class StunRequest {
    readonly type: number;
    readonly transactionId: Buffer;
    setType(type: number): void;
    setTransactionId(id: Buffer): boolean;
    addAttribute(type: number, ...args: unknown[]): StunAttribute;
    addXorAddress(address: string, port: number): StunAttribute;
    addUsername(username: string): StunAttribute;
    addRealm(realm: string): StunAttribute;
    addNonce(nonce: string): StunAttribute;
    addMessageIntegrity(key: string | Buffer): StunAttribute;
    addFingerprint(): StunAttribute;
    toBuffer(): Buffer;
  }
  /** A decoded message. */
  export class StunResponse {
    readonly type: number;
    readonly transactionId: Buffer;
    isLegacy(): boolean;
    getAttribute(type: number): StunAttribute | undefined;
    getXorAddress(): StunAddress | undefined;
    getError(): { code: number; reason: string } | undefined;
    getRealm(): string | undefined;
    getNonce(): string | undefined;
  }
  export function createMessage(type: number, transaction?: Buffer): StunRequest;
  export function decode(message: Buffer): StunResponse;
  export function request(url: string, options?: { socket?: Socket; message?: StunRequest; timeout?: number; retries?: number; maxTimeout?: number }): Promise<StunResponse>;
  export const constants: Record<string, number>;
  const stun: {
    createMessage: typeof createMessage;
    decode: typeof decode;
    request: typeof request;
    constants: typeof constants;
  };
  export default stun;
}
