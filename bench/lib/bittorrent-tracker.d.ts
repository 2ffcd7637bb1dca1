/** The little of bittorrent-tracker 11 (no types of its own) that bench/lib/bt-tracker-main.ts uses. */
declare module 'bittorrent-tracker' {
  import { EventEmitter } from 'node:events';
  export class Server extends EventEmitter {
    constructor(opts: { udp?: boolean; http?: boolean; ws?: boolean; stats?: boolean; trustProxy?: boolean });
    listen(port: number, hostname: string, onListening: () => void): void;
    close(cb?: () => void): void;
  }
}
