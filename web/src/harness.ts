/**
 * Test-only page (web/harness.html): exposes the client core and the browser
 * platform as `window.meshdropHarness`, so end-to-end tests and the bench can
 * drive real transfers in real Chromium before, and beside, the UI. Never
 * linked from the app.
 */
import { TrackerClient } from '../../client/tracker.ts';
import { Bitfield } from '../../protocol/bitfield.ts';
import { PIECE_SIZE } from '../../protocol/constants.ts';
import { FrameType } from '../../protocol/wire.ts';
import type { PeerChannel, PeerConnector } from '../../client/ports.ts';
import { createBrowserPlatform, trackerUrlOf, type BrowserPlatform } from './platform/index.ts';
import { BlobPieceSource, canKeepFileHandles } from './platform/file-source.ts';
import { saveStoredFile, storedFileBlob } from './platform/save.ts';
import { rawChannelBench } from './harness-raw.ts';

/**
 * Wraps a connector so every block this peer serves arrives corrupted (one
 * byte flipped): the "bad seeder" of the integrity test. Frames other than
 * blocks pass untouched, so the peer looks honest until its data is checked.
 */
export function corruptingConnector(inner: PeerConnector, isOn: () => boolean): PeerConnector {
  return {
    connect(options) {
      const link = inner.connect(options);
      return {
        ...link,
        channel: link.channel.then((ch): PeerChannel => {
          const send = ch.send.bind(ch);
          ch.send = (frame: Uint8Array) => {
            if (isOn() && frame[1] === FrameType.Block && frame.length > 14) {
              const bad = frame.slice();
              bad[bad.length - 1]! ^= 0xff;
              send(bad);
            } else send(frame);
          };
          return ch;
        }),
      };
    },
  };
}

const harness = {
  PIECE_SIZE,
  Bitfield,
  TrackerClient,
  BlobPieceSource,
  createBrowserPlatform,
  corruptingConnector,
  saveStoredFile,
  storedFileBlob,
  canKeepFileHandles,
  rawChannelBench,
  trackerUrl: trackerUrlOf(location),
  /** The file chosen in the page's <input type=file> (tests fill it with setInputFiles). */
  pickedFile(): File {
    const file = (document.getElementById('file') as HTMLInputElement).files?.[0];
    if (!file) throw new Error('no file chosen in #file');
    return file;
  },
  /** The platform the session below uses; tests build extra ones with createBrowserPlatform. */
  platform: undefined as BrowserPlatform | undefined,
};

export type Harness = typeof harness;
declare global {
  interface Window {
    meshdropHarness: Harness;
  }
}
window.meshdropHarness = harness;
