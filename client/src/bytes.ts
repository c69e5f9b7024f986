// Small byte helpers that older base libraries lack (no TextDecoder there): UTF-8 decoding
// of error bodies that arrive as an ArrayBuffer, image sniffing, and a short stable hash.

/** Error bodies are small; nothing past this is decoded. */
const MAX_DECODE = 64 * 1024;

export function decodeUtf8(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf, 0, Math.min(buf.byteLength, MAX_DECODE));
  let escaped = '';
  for (let i = 0; i < bytes.length; i++) {
    escaped += (bytes[i] < 16 ? '%0' : '%') + bytes[i].toString(16);
  }
  try {
    return decodeURIComponent(escaped);
  } catch (e) {
    // Not UTF-8: one character per byte is enough to see it is no JSON.
    let latin1 = '';
    for (let i = 0; i < bytes.length; i++) {
      latin1 += String.fromCharCode(bytes[i]);
    }
    return latin1;
  }
}

/** `png`, `jpg`, or null, from the first bytes. */
export function imageKind(buf: ArrayBuffer): 'png' | 'jpg' | null {
  const b = new Uint8Array(buf, 0, Math.min(buf.byteLength, 8));
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a) {
    return 'png';
  }
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    return 'jpg';
  }
  return null;
}

/** FNV-1a, 32 bits, as 8 hex digits: the same QR parameters give the same file name. */
export function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  const hex = (h >>> 0).toString(16);
  return '00000000'.slice(hex.length) + hex;
}
