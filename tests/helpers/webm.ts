/**
 * Real, seekable WebM videos for the preview tests, without ffmpeg: the
 * frames are encoded by Chromium's own VP8 encoder (WebCodecs
 * `VideoEncoder`, in a page of the test's choosing) and muxed here into a
 * WebM a player can seek in: a known duration and a Cues index (one cue per
 * keyframe) found through the SeekHead, before the first Cluster. A
 * MediaRecorder recording would not do: it has no duration and no Cues, so a
 * player can neither show its length nor jump near its end.
 *
 * Every element size (and every Cues/SeekHead position) is written with 8
 * bytes, so the layout does not depend on the values and offsets are known
 * before anything is written.
 */
import type { Page } from 'playwright-core';

export interface EncodedFrame {
  /** Presentation time, microseconds. */
  timestampUs: number;
  key: boolean;
  data: Uint8Array;
}

export interface Webm {
  bytes: Buffer;
  /** Seconds. */
  duration: number;
  /** Where each Cluster (one per keyframe) starts in the file, and its time in seconds. */
  clusters: { offset: number; time: number }[];
}

export interface VideoSpec {
  width: number;
  height: number;
  fps: number;
  seconds: number;
  /** A keyframe (and so a Cluster, and a cue) every this many frames. */
  keyEvery: number;
  bitrate: number;
}

/**
 * Encodes `spec.seconds` of frames in `page` with VP8: each frame a band of
 * noise over a moving gradient, so the encoder has work at every frame and
 * the file's size follows the bitrate. Resolves with the encoded frames.
 */
export async function encodeVp8(page: Page, spec: VideoSpec): Promise<EncodedFrame[]> {
  const chunks = await page.evaluate(async (s) => {
    const out: { ts: number; key: boolean; data: string }[] = [];
    let failure: unknown;
    const encoder = new VideoEncoder({
      output: (chunk) => {
        const bytes = new Uint8Array(chunk.byteLength);
        chunk.copyTo(bytes);
        let text = '';
        for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        out.push({ ts: chunk.timestamp, key: chunk.type === 'key', data: btoa(text) });
      },
      error: (e) => (failure = e),
    });
    encoder.configure({ codec: 'vp8', width: s.width, height: s.height, bitrate: s.bitrate, framerate: s.fps, bitrateMode: 'constant' });
    const canvas = new OffscreenCanvas(s.width, s.height);
    const ctx = canvas.getContext('2d')!;
    const band = Math.floor(s.height / 3);
    const noise = ctx.createImageData(s.width, band);
    const words = new Uint32Array(noise.data.buffer);
    let x = 0x9e3779b9;
    for (let f = 0; f < s.fps * s.seconds; f++) {
      const gradient = ctx.createLinearGradient(0, 0, s.width, s.height);
      gradient.addColorStop(0, `hsl(${(f * 7) % 360} 80% 50%)`);
      gradient.addColorStop(1, `hsl(${(f * 7 + 180) % 360} 80% 50%)`);
      ctx.fillStyle = gradient;
      ctx.fillRect(0, 0, s.width, s.height);
      for (let i = 0; i < words.length; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        words[i] = (x & 0x00ffffff) | 0xff000000;
      }
      ctx.putImageData(noise, 0, band);
      const frame = new VideoFrame(canvas, { timestamp: Math.round((f * 1e6) / s.fps) });
      encoder.encode(frame, { keyFrame: f % s.keyEvery === 0 });
      frame.close();
      while (encoder.encodeQueueSize > 4) await new Promise((r) => setTimeout(r, 2));
    }
    await encoder.flush();
    encoder.close();
    if (failure) throw failure;
    return out;
  }, spec);
  return chunks.map((c) => ({ timestampUs: c.ts, key: c.key, data: Buffer.from(c.data, 'base64') }));
}

// ------------------------------------------------------------------ EBML

const ID = {
  EBML: 0x1a45dfa3,
  EBMLVersion: 0x4286,
  EBMLReadVersion: 0x42f7,
  EBMLMaxIDLength: 0x42f2,
  EBMLMaxSizeLength: 0x42f3,
  DocType: 0x4282,
  DocTypeVersion: 0x4287,
  DocTypeReadVersion: 0x4285,
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Seek: 0x4dbb,
  SeekID: 0x53ab,
  SeekPosition: 0x53ac,
  Info: 0x1549a966,
  TimecodeScale: 0x2ad7b1,
  Duration: 0x4489,
  MuxingApp: 0x4d80,
  WritingApp: 0x5741,
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackUID: 0x73c5,
  TrackType: 0x83,
  CodecID: 0x86,
  Video: 0xe0,
  PixelWidth: 0xb0,
  PixelHeight: 0xba,
  Cues: 0x1c53bb6b,
  CuePoint: 0xbb,
  CueTime: 0xb3,
  CueTrackPositions: 0xb7,
  CueTrack: 0xf7,
  CueClusterPosition: 0xf1,
  Cluster: 0x1f43b675,
  Timecode: 0xe7,
  SimpleBlock: 0xa3,
} as const;

function idBytes(id: number): Buffer {
  const bytes: number[] = [];
  for (let v = id; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from(bytes);
}

/** An element: id, size as an 8-byte vint, payload. */
function el(id: number, ...payload: Buffer[]): Buffer {
  const body = Buffer.concat(payload);
  const size = Buffer.alloc(8);
  size.writeBigUInt64BE(BigInt(body.length));
  size[0] = 0x01; // 8-byte vint marker (sizes here are far below 2^56)
  return Buffer.concat([idBytes(id), size, body]);
}

/** An unsigned integer, always 8 bytes: offsets can be filled in without moving anything. */
const uint = (id: number, value: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(value));
  return el(id, b);
};
const float = (id: number, value: number): Buffer => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(value);
  return el(id, b);
};
const text = (id: number, value: string): Buffer => el(id, Buffer.from(value, 'utf8'));

/** Muxes VP8 frames (one track) into a WebM with a duration and a cue per keyframe. */
export function muxWebm(frames: readonly EncodedFrame[], video: { width: number; height: number; fps: number }): Webm {
  if (frames.length === 0 || !frames[0]!.key) throw new Error('a WebM needs frames, starting with a keyframe');
  const durationMs = frames[frames.length - 1]!.timestampUs / 1000 + 1000 / video.fps;
  // One Cluster per keyframe; every block's time is relative to its Cluster's (int16 ms).
  const groups: EncodedFrame[][] = [];
  for (const f of frames) {
    if (f.key || groups.length === 0) groups.push([]);
    groups[groups.length - 1]!.push(f);
  }
  const clusterBodies = groups.map((g) => {
    const base = Math.round(g[0]!.timestampUs / 1000);
    const blocks = g.map((f) => {
      const header = Buffer.alloc(4);
      header[0] = 0x81; // track 1
      header.writeInt16BE(Math.round(f.timestampUs / 1000) - base, 1);
      header[3] = f.key ? 0x80 : 0x00;
      return el(ID.SimpleBlock, header, Buffer.from(f.data));
    });
    return { time: base, bytes: el(ID.Cluster, uint(ID.Timecode, base), ...blocks) };
  });

  const ebml = el(
    ID.EBML,
    uint(ID.EBMLVersion, 1),
    uint(ID.EBMLReadVersion, 1),
    uint(ID.EBMLMaxIDLength, 4),
    uint(ID.EBMLMaxSizeLength, 8),
    text(ID.DocType, 'webm'),
    uint(ID.DocTypeVersion, 2),
    uint(ID.DocTypeReadVersion, 2),
  );
  const info = el(ID.Info, uint(ID.TimecodeScale, 1_000_000), float(ID.Duration, durationMs), text(ID.MuxingApp, 'meshdrop-tests'), text(ID.WritingApp, 'meshdrop-tests'));
  const tracks = el(
    ID.Tracks,
    el(ID.TrackEntry, uint(ID.TrackNumber, 1), uint(ID.TrackUID, 1), uint(ID.TrackType, 1), text(ID.CodecID, 'V_VP8'), el(ID.Video, uint(ID.PixelWidth, video.width), uint(ID.PixelHeight, video.height))),
  );
  const cuesFor = (positions: number[]) =>
    el(ID.Cues, ...clusterBodies.map((c, i) => el(ID.CuePoint, uint(ID.CueTime, c.time), el(ID.CueTrackPositions, uint(ID.CueTrack, 1), uint(ID.CueClusterPosition, positions[i]!)))));
  const seekHeadFor = (infoAt: number, tracksAt: number, cuesAt: number) =>
    el(
      ID.SeekHead,
      ...[
        [ID.Info, infoAt],
        [ID.Tracks, tracksAt],
        [ID.Cues, cuesAt],
      ].map(([id, at]) => el(ID.Seek, el(ID.SeekID, idBytes(id!)), uint(ID.SeekPosition, at!))),
    );

  // Sizes do not depend on the values (8-byte fields), so lay out with zeros, then fill in.
  const seekHeadSize = seekHeadFor(0, 0, 0).length;
  const cuesSize = cuesFor(clusterBodies.map(() => 0)).length;
  const infoAt = seekHeadSize;
  const tracksAt = infoAt + info.length;
  const cuesAt = tracksAt + tracks.length;
  let at = cuesAt + cuesSize;
  const positions = clusterBodies.map((c) => {
    const p = at;
    at += c.bytes.length;
    return p;
  });
  const segmentBody = [seekHeadFor(infoAt, tracksAt, cuesAt), info, tracks, cuesFor(positions), ...clusterBodies.map((c) => c.bytes)];
  const segment = el(ID.Segment, ...segmentBody);
  // Segment positions count from the Segment's payload: its id (4) and size (8) come first.
  const segmentDataStart = ebml.length + 4 + 8;
  return {
    bytes: Buffer.concat([ebml, segment]),
    duration: durationMs / 1000,
    clusters: clusterBodies.map((c, i) => ({ offset: segmentDataStart + positions[i]!, time: c.time / 1000 })),
  };
}
