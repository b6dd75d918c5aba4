// Screenshots of the virtual display: `xwd` dumps the root window and this
// turns the dump into a PNG. (WebKitWebDriver's own screenshot command
// does not answer under Xvfb.)

import { execFileSync } from "node:child_process";
import { deflateSync } from "node:zlib";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "ascii");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG of the whole X display named by $DISPLAY. */
export function captureDisplay() {
  const xwd = execFileSync("xwd", ["-root", "-silent"], { maxBuffer: 64 * 1024 * 1024 });
  const field = (i) => xwd.readUInt32BE(i * 4);
  const headerSize = field(0);
  const [width, height] = [field(4), field(5)];
  const byteOrder = field(7);
  const bitsPerPixel = field(11);
  const bytesPerLine = field(12);
  const colormapEntries = field(19);
  if (bitsPerPixel !== 32 && bitsPerPixel !== 24) {
    throw new Error(`xwd gave ${bitsPerPixel} bits per pixel; expected 24 or 32`);
  }
  const bytesPerPixel = bitsPerPixel / 8;
  const pixels = headerSize + colormapEntries * 12;

  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    for (let x = 0; x < width; x++) {
      const at = pixels + y * bytesPerLine + x * bytesPerPixel;
      const value =
        byteOrder === 0 ? xwd.readUIntLE(at, bytesPerPixel) : xwd.readUIntBE(at, bytesPerPixel);
      const out = y * (width * 3 + 1) + 1 + x * 3;
      raw[out] = (value >> 16) & 0xff;
      raw[out + 1] = (value >> 8) & 0xff;
      raw[out + 2] = value & 0xff;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
