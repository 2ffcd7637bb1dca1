/**
 * Real media files for the preview tests, made byte by byte (no ffmpeg, no
 * fixtures): a WAV tone, a BMP of noise, a PDF page. Each is valid, so a
 * browser plays or shows it. (A video needs an encoder: webm.ts.)
 */
import { randomBytes } from 'node:crypto';

/** A valid PCM WAV: 8 kHz, 8-bit, mono, a 440 Hz tone, `bytes` of samples. */
export function wav(bytes: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + bytes, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(8000, 24); // sample rate
  header.writeUInt32LE(8000, 28); // byte rate
  header.writeUInt16LE(1, 32); // block align
  header.writeUInt16LE(8, 34); // bits per sample
  header.write('data', 36);
  header.writeUInt32LE(bytes, 40);
  const samples = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) samples[i] = 128 + Math.round(60 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  return Buffer.concat([header, samples]);
}

/** A 24-bit BMP of noise, `side` × `side` (rows padded to 4 bytes, bottom-up). */
export function bmp(side: number): Buffer {
  const row = Math.ceil((side * 3) / 4) * 4;
  const header = Buffer.alloc(54);
  header.write('BM', 0);
  header.writeUInt32LE(54 + row * side, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(side, 18);
  header.writeInt32LE(side, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  header.writeUInt32LE(row * side, 34);
  return Buffer.concat([header, randomBytes(row * side)]);
}

/**
 * A PDF of one US-letter page almost wholly covered by a black rectangle (a
 * rendered page is easy to tell from an empty frame), and an unreferenced
 * stream of `padding` random bytes so the file spans several pieces. The
 * cross-reference table's offsets are computed, so any conforming reader
 * opens it.
 */
export function blackPagePdf(padding: number): Buffer {
  const content = Buffer.from('0 0 0 rg 36 36 540 720 re f\n', 'latin1');
  const objects: Buffer[] = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>', 'latin1'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>', 'latin1'),
    Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << >> >>', 'latin1'),
    stream(content),
    stream(randomBytes(padding)),
  ];
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let at = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(at);
    const obj = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, 'latin1'), body, Buffer.from('\nendobj\n', 'latin1')]);
    parts.push(obj);
    at += obj.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n`, '0000000000 65535 f \n', ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`)].join('');
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${at}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(parts);
}

function stream(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`<< /Length ${bytes.length} >>\nstream\n`, 'latin1'), bytes, Buffer.from('\nendstream', 'latin1')]);
}
