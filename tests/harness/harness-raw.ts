/**
 * The bench's baseline: raw RTCPeerConnection + RTCDataChannel between two
 * pages, with no Meshdrop code in the path. Signals travel through the test
 * process (page.evaluate), not a tracker: only the channel is measured.
 */

const pcs = new Map<string, { pc: RTCPeerConnection; channel: Promise<RTCDataChannel> }>();

/** Waits until ICE gathering is done, so one offer/answer carries every candidate. */
async function gathered(pc: RTCPeerConnection): Promise<RTCSessionDescriptionInit> {
  if (pc.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => {
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
    });
  }
  return pc.localDescription!.toJSON();
}

export const rawChannelBench = {
  /** Sender side: makes the offer. */
  async offer(id: string): Promise<RTCSessionDescriptionInit> {
    const pc = new RTCPeerConnection({ iceServers: [] });
    const dc = pc.createDataChannel('bench', { ordered: true });
    dc.binaryType = 'arraybuffer';
    const channel = new Promise<RTCDataChannel>((resolve) => (dc.onopen = () => resolve(dc)));
    pcs.set(id, { pc, channel });
    await pc.setLocalDescription(await pc.createOffer());
    return gathered(pc);
  },
  /** Receiver side: answers the offer. */
  async answer(id: string, offer: RTCSessionDescriptionInit): Promise<RTCSessionDescriptionInit> {
    const pc = new RTCPeerConnection({ iceServers: [] });
    const channel = new Promise<RTCDataChannel>((resolve) => {
      pc.ondatachannel = (ev) => {
        ev.channel.binaryType = 'arraybuffer';
        resolve(ev.channel);
      };
    });
    pcs.set(id, { pc, channel });
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription(await pc.createAnswer());
    return gathered(pc);
  },
  async accept(id: string, answer: RTCSessionDescriptionInit): Promise<void> {
    await pcs.get(id)!.pc.setRemoteDescription(answer);
    await pcs.get(id)!.channel;
  },
  /** Receiver: resolves with the bytes received once `total` have arrived. */
  async receive(id: string, total: number): Promise<{ bytes: number; ms: number }> {
    const dc = await pcs.get(id)!.channel;
    return new Promise((resolve) => {
      let bytes = 0;
      let start = 0;
      dc.onmessage = (ev) => {
        if (bytes === 0) start = performance.now();
        bytes += (ev.data as ArrayBuffer).byteLength;
        if (bytes >= total) {
          dc.send('done');
          resolve({ bytes, ms: performance.now() - start });
        }
      };
    });
  },
  /** Sender: sends `total` bytes in `blockSize` messages, waiting on bufferedamountlow, until the receiver says done. */
  async send(id: string, total: number, blockSize: number): Promise<{ ms: number }> {
    const dc = await pcs.get(id)!.channel;
    const block = new Uint8Array(blockSize);
    crypto.getRandomValues(block.subarray(0, Math.min(blockSize, 65536)));
    const high = 1024 * 1024;
    dc.bufferedAmountLowThreshold = 256 * 1024;
    const done = new Promise<void>((resolve) => (dc.onmessage = () => resolve()));
    const start = performance.now();
    for (let sent = 0; sent < total; sent += blockSize) {
      if (dc.bufferedAmount > high) {
        await new Promise<void>((resolve) => dc.addEventListener('bufferedamountlow', () => resolve(), { once: true }));
      }
      dc.send(block.subarray(0, Math.min(blockSize, total - sent)));
    }
    await done;
    return { ms: performance.now() - start };
  },
  close(id: string): void {
    pcs.get(id)?.pc.close();
    pcs.delete(id);
  },
};
