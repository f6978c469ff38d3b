/**
 * AES-128 encryption of one block in plain JS (FIPS-197), for boards whose Espruino build has no AES
 * (MDBT42Q). Encryption of a single ECB block is all the tag needs: the GAEN RPI is one ECB block, and the
 * AEM is AES-128-CTR with IV = RPI over only 4 bytes, i.e. the first keystream block ECB(AEMK, RPI) XOR the
 * metadata. So there is no decryption, no key schedule cache and no mode code here.
 *
 * Memory: the S-box is computed at first use into one Uint8Array(256) instead of shipping a 256-entry
 * literal (about 1 KB of source on the tag); each round key is derived from the one before as the rounds
 * go, in one 16-byte array.
 */
var ROUNDS = 10;
/** The AES polynomial x^8 + x^4 + x^3 + x + 1: XORed in when the shift carries out of the byte. */
var AES_POLY = 0x11b;

var sbox: Uint8Array | null = null;

/** Multiplication by x (i.e. 2) in GF(2^8). */
function xtime(b: number): number {
  return (b << 1) ^ ((b >> 7) * AES_POLY);
}

/**
 * The S-box: S(a) = affine(a^-1). Walks the multiplicative group with the generator 3: p runs through
 * 3^k while q runs through 3^-k, so q is the inverse of p at every step.
 */
function buildSbox(): Uint8Array {
  var table = new Uint8Array(256);
  var p = 1;
  var q = 1;
  do {
    p ^= xtime(p); // p × 3
    q ^= q << 1; // q ÷ 3, i.e. q × 0xf6 in GF(2^8), with shifts and one fix-up
    q ^= q << 2;
    q ^= q << 4;
    q &= 0xff;
    if (q & 0x80) q ^= 0x09;
    // affine(q) = q ^ rotl(q, 1) ^ … ^ rotl(q, 4) ^ 0x63: the shifted copies' bits past bit 7 fold back down
    var shifts = q ^ (q << 1) ^ (q << 2) ^ (q << 3) ^ (q << 4);
    table[p] = shifts ^ (shifts >> 8) ^ 0x63;
  } while (p !== 1);
  table[0] = 0x63; // 0 has no inverse: affine(0)
  return table;
}

/** AES-128 encryption of one 16-byte block, an `Aes128Block` (byte i of a block is state row i % 4, column i / 4). */
export function aes128EncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  var s = sbox || (sbox = buildSbox());
  var roundKey = new Uint8Array(key);
  var state = new Uint8Array(block);
  var rcon = 1;
  for (var round = 0; ; round++) {
    var i;
    for (i = 0; i < 16; i++) state[i] ^= roundKey[i]; // AddRoundKey
    if (round === ROUNDS) return state;
    // SubBytes and ShiftRows together: row r moves left by r columns
    var shifted = new Uint8Array(16);
    for (i = 0; i < 16; i++) shifted[i] = s[state[(i + 4 * (i & 3)) & 15]];
    for (i = 0; i < 16; i++) {
      // MixColumns (not in the last round): b_k = a_k ^ (a0^a1^a2^a3) ^ 2(a_k ^ a_k+1)
      var c = i & 12;
      state[i] = round < ROUNDS - 1 ? shifted[c] ^ shifted[c + 1] ^ shifted[c + 2] ^ shifted[c + 3] ^ shifted[i] ^ xtime(shifted[i] ^ shifted[c + ((i + 1) & 3)]) : shifted[i];
    }
    // The next round key: word 0 ^= SubWord(RotWord(word 3)) ^ Rcon, then each word ^= the one before
    roundKey[0] ^= s[roundKey[13]] ^ rcon;
    roundKey[1] ^= s[roundKey[14]];
    roundKey[2] ^= s[roundKey[15]];
    roundKey[3] ^= s[roundKey[12]];
    for (i = 4; i < 16; i++) roundKey[i] ^= roundKey[i - 4];
    rcon = xtime(rcon);
  }
}
