/**
 * An independent writer of GAEN export files, by the field numbers of export.proto (not protobufjs, which
 * the gateway uses), so that tests can hand the gateway files it did not write itself.
 */
import JSZip from "jszip";
import { KeyObject, sign } from "node:crypto";
import { EXPORT_HEADER } from "../../tools/gateway/gaen-export";
import { TEST_DAY_START } from "./helpers";

/** A protobuf base-128 varint. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}
/** Wire types. */
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const key = (field: number, wire: number) => varint(field * 8 + wire);
const varintField = (field: number, n: number) => [...key(field, VARINT), ...varint(n)];
const bytesField = (field: number, bytes: ArrayLike<number>) => [...key(field, LENGTH_DELIMITED), ...varint(bytes.length), ...Array.from(bytes)];
const stringField = (field: number, text: string) => bytesField(field, Buffer.from(text, "utf8"));
function fixed64Field(field: number, n: number): number[] {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return [...key(field, FIXED64), ...b];
}

/** A TEK as written; fields left undefined are left out of the message. */
export interface RawKey {
  keyData: Uint8Array;
  rollingStart: number;
  rollingPeriod?: number;
  reportType?: number;
}

/** TemporaryExposureKey: key_data 1, rolling_start_interval_number 3, rolling_period 4, report_type 5. */
function temporaryExposureKey(k: RawKey): number[] {
  return [
    ...bytesField(1, k.keyData),
    ...varintField(3, k.rollingStart),
    ...(k.rollingPeriod === undefined ? [] : varintField(4, k.rollingPeriod)),
    ...(k.reportType === undefined ? [] : varintField(5, k.reportType)),
  ];
}

/** SignatureInfo: verification_key_version 3, verification_key_id 4, signature_algorithm 5. */
const signatureInfo = () => [...stringField(3, "v1"), ...stringField(4, "452"), ...stringField(5, "1.2.840.10045.4.3.2")];

/** export.bin: the header, then TemporaryExposureKeyExport (fields 1..7). */
export function exportBin(keys: RawKey[], header = EXPORT_HEADER): Buffer {
  const message = [
    ...fixed64Field(1, TEST_DAY_START),
    ...fixed64Field(2, TEST_DAY_START + 86400),
    ...stringField(3, "452"),
    ...varintField(4, 1),
    ...varintField(5, 1),
    ...bytesField(6, signatureInfo()),
    ...keys.flatMap((k) => bytesField(7, temporaryExposureKey(k))),
  ];
  return Buffer.concat([Buffer.from(header, "ascii"), Buffer.from(message)]);
}

/** export.sig: TEKSignatureList { signatures 1: TEKSignature { signature_info 1, batch 2/3, signature 4 } }. */
export function exportSig(bin: Uint8Array, privateKey: KeyObject): Buffer {
  const signature = [...bytesField(1, signatureInfo()), ...varintField(2, 1), ...varintField(3, 1), ...bytesField(4, sign("sha256", bin, privateKey))];
  return Buffer.from(bytesField(1, signature));
}

/** A zip of these files (stored, as key servers write them). */
export async function zipOf(files: Record<string, Uint8Array>): Promise<Uint8Array> {
  const zip = new JSZip();
  for (const [name, bytes] of Object.entries(files)) zip.file(name, bytes);
  return zip.generateAsync({ type: "uint8array" });
}
