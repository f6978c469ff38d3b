/**
 * GAEN diagnosis-key export files ("Exposure Key Export File Format and Verification"): a zip holding
 * `export.bin` (16-byte header "EK Export v1" padded with spaces, then a protobuf
 * TemporaryExposureKeyExport, see export.proto) and `export.sig` (a protobuf TEKSignatureList with an
 * ECDSA P-256 / SHA-256 signature of export.bin, as key servers sign). Reading checks everything and
 * answers a damaged or forged file with a reason, never a crash.
 */
import JSZip from "jszip";
import { KeyObject, sign, verify } from "node:crypto";
import { join } from "node:path";
import * as protobuf from "protobufjs";
import { EN_INTERVAL_SECONDS, GAEN_KEY_BYTES, TEK_ROLLING_PERIOD } from "../../firmware/gaen";
import { SignatureCheck } from "./store";

/** The 16 bytes export.bin starts with. */
export const EXPORT_HEADER = "EK Export v1".padEnd(16, " ");
/** File names inside the zip. */
export const EXPORT_BIN = "export.bin";
export const EXPORT_SIG = "export.sig";
/** ASN.1 OID of ECDSA with SHA-256, the only algorithm clients accept. */
export const SIGNATURE_ALGORITHM = "1.2.840.10045.4.3.2";
/** report_type REVOKED: the key is withdrawn and must not be matched. */
export const REPORT_TYPE_REVOKED = 5;
/** days_since_onset_of_symptoms lies in -14..14. */
const MAX_DAYS_SINCE_ONSET = 14;

// keepCase: fields keep export.proto's names (key_data, rolling_period, ...).
const schema = new protobuf.Root().loadSync(join(__dirname, "export.proto"), { keepCase: true });
const ExportMessage = schema.lookupType("TemporaryExposureKeyExport");
const SignatureListMessage = schema.lookupType("TEKSignatureList");
/** Decoded messages as plain objects: 64-bit numbers as numbers, enums as numbers, absent fields absent. */
const PLAIN: protobuf.IConversionOptions = { longs: Number, enums: Number, defaults: false };

/** One key of an export file. */
export interface ExportKey {
  /** The 16-byte TEK. */
  key: Uint8Array;
  /** ENIntervalNumber the key starts at. */
  rollingStart: number;
  /** 10-minute intervals the key is valid for, 1..144. */
  rollingPeriod: number;
  reportType: number | null;
  daysSinceOnset: number | null;
}

/** What an export file says. */
export interface GaenExport {
  /** Arrival window of the keys at the server, Unix seconds. */
  startTimestamp: number;
  endTimestamp: number;
  region: string;
  keys: ExportKey[];
  /** Keys whose status changed since an earlier file (revoked ones among them). */
  revisedKeys: ExportKey[];
}

/** Who signs: the gateway's ECDSA P-256 key and how clients identify it. */
export interface ExportSigner {
  privateKey: KeyObject;
  keyVersion: string;
  keyId: string;
}

/** A read export file and what became of its signature. */
export interface ReadExport {
  contents: GaenExport;
  signature: SignatureCheck;
}

/** The time a key's IDs were on air: [start, end) in Unix seconds. */
export function exportKeyTimes(k: ExportKey): { startTime: number; endTime: number } {
  return { startTime: k.rollingStart * EN_INTERVAL_SECONDS, endTime: (k.rollingStart + k.rollingPeriod) * EN_INTERVAL_SECONDS };
}

/** The export.bin bytes of `contents`: header, then the protobuf. */
export function encodeExportBin(contents: GaenExport, signer: ExportSigner): Uint8Array {
  const toMessage = (k: ExportKey) => ({
    key_data: k.key,
    rolling_start_interval_number: k.rollingStart,
    rolling_period: k.rollingPeriod,
    ...(k.reportType === null ? {} : { report_type: k.reportType }),
    ...(k.daysSinceOnset === null ? {} : { days_since_onset_of_symptoms: k.daysSinceOnset }),
  });
  const message = ExportMessage.fromObject({
    start_timestamp: contents.startTimestamp,
    end_timestamp: contents.endTimestamp,
    region: contents.region,
    batch_num: 1,
    batch_size: 1,
    signature_infos: [signatureInfo(signer)],
    keys: contents.keys.map(toMessage),
    revised_keys: contents.revisedKeys.map(toMessage),
  });
  return Buffer.concat([Buffer.from(EXPORT_HEADER, "ascii"), ExportMessage.encode(message).finish()]);
}

function signatureInfo(signer: ExportSigner) {
  return { verification_key_version: signer.keyVersion, verification_key_id: signer.keyId, signature_algorithm: SIGNATURE_ALGORITHM };
}

/** A signed export zip of `contents`. */
export async function writeGaenExport(contents: GaenExport, signer: ExportSigner): Promise<Uint8Array> {
  const bin = encodeExportBin(contents, signer);
  const sig = SignatureListMessage.encode(
    SignatureListMessage.fromObject({
      signatures: [{ signature_info: signatureInfo(signer), batch_num: 1, batch_size: 1, signature: sign("sha256", bin, signer.privateKey) }],
    }),
  ).finish();
  const zip = new JSZip();
  zip.file(EXPORT_BIN, bin);
  zip.file(EXPORT_SIG, sig);
  return zip.generateAsync({ type: "uint8array", compression: "DEFLATE" });
}

/**
 * Reads an export zip. With `publicKey` (the key server's, as configured) the signature must verify;
 * without one it is reported as not checked.
 */
export async function readGaenExport(zipBytes: Uint8Array, publicKey: KeyObject | null): Promise<ReadExport | { error: string }> {
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(zipBytes);
  } catch {
    return { error: "not a zip file (a GAEN export is a zip with export.bin and export.sig)" };
  }
  const binFile = zip.file(EXPORT_BIN);
  if (!binFile) return { error: `the zip has no ${EXPORT_BIN}` };
  let bin: Uint8Array;
  let sig: Uint8Array | null;
  try {
    bin = await binFile.async("uint8array");
    const sigFile = zip.file(EXPORT_SIG);
    sig = sigFile ? await sigFile.async("uint8array") : null;
  } catch {
    return { error: "the zip is damaged: its files do not decompress" };
  }
  const contents = decodeExportBin(bin);
  if ("error" in contents) return contents;
  const signature = checkSignature(bin, sig, publicKey);
  if (typeof signature === "object") return signature;
  return { contents, signature };
}

/** The contents of export.bin, or what is wrong with it. */
export function decodeExportBin(bin: Uint8Array): GaenExport | { error: string } {
  if (bin.length < EXPORT_HEADER.length || Buffer.from(bin.subarray(0, EXPORT_HEADER.length)).toString("latin1") !== EXPORT_HEADER) {
    return { error: `${EXPORT_BIN} does not start with the header "${EXPORT_HEADER.trim()}" (16 bytes, space-padded)` };
  }
  let message: Record<string, any>;
  try {
    message = ExportMessage.toObject(ExportMessage.decode(bin.subarray(EXPORT_HEADER.length)), PLAIN);
  } catch (err) {
    return { error: `${EXPORT_BIN} is truncated or damaged: ${(err as Error).message}` };
  }
  const keys: ExportKey[] = [];
  const revisedKeys: ExportKey[] = [];
  for (const [list, out, name] of [
    [message.keys ?? [], keys, "key"],
    [message.revised_keys ?? [], revisedKeys, "revised key"],
  ] as const) {
    for (let i = 0; i < list.length; i++) {
      const key = exportKeyOf(list[i]);
      if ("error" in key) return { error: `${EXPORT_BIN}, ${name} ${i + 1}: ${key.error}` };
      out.push(key);
    }
  }
  return {
    startTimestamp: message.start_timestamp ?? 0,
    endTimestamp: message.end_timestamp ?? 0,
    region: message.region ?? "",
    keys,
    revisedKeys,
  };
}

/** One TemporaryExposureKey checked, or what is wrong with it. */
function exportKeyOf(m: Record<string, any>): ExportKey | { error: string } {
  const key: Uint8Array | undefined = m.key_data;
  if (!key || key.length !== GAEN_KEY_BYTES) return { error: `key_data has ${key ? key.length : 0} bytes, a TEK has ${GAEN_KEY_BYTES}` };
  const rollingStart = m.rolling_start_interval_number;
  if (rollingStart === undefined || rollingStart < 0) return { error: "rolling_start_interval_number is missing or negative" };
  const rollingPeriod = m.rolling_period ?? TEK_ROLLING_PERIOD;
  if (rollingPeriod < 1 || rollingPeriod > TEK_ROLLING_PERIOD) return { error: `rolling_period ${rollingPeriod} is outside 1..${TEK_ROLLING_PERIOD}` };
  const daysSinceOnset = m.days_since_onset_of_symptoms ?? null;
  if (daysSinceOnset !== null && Math.abs(daysSinceOnset) > MAX_DAYS_SINCE_ONSET) {
    return { error: `days_since_onset_of_symptoms ${daysSinceOnset} is outside -${MAX_DAYS_SINCE_ONSET}..${MAX_DAYS_SINCE_ONSET}` };
  }
  return { key: new Uint8Array(key), rollingStart, rollingPeriod, reportType: m.report_type ?? null, daysSinceOnset };
}

/** What became of the signature, or why the file must be refused. */
function checkSignature(bin: Uint8Array, sig: Uint8Array | null, publicKey: KeyObject | null): SignatureCheck | { error: string } {
  if (sig === null) return publicKey ? { error: `the zip has no ${EXPORT_SIG}, but a key server public key is configured` } : "none";
  let signatures: Record<string, any>[];
  try {
    signatures = SignatureListMessage.toObject(SignatureListMessage.decode(sig), PLAIN).signatures ?? [];
  } catch (err) {
    return { error: `${EXPORT_SIG} is truncated or damaged: ${(err as Error).message}` };
  }
  if (!publicKey) return "not-checked";
  for (const s of signatures) {
    if (s.signature_info?.signature_algorithm !== undefined && s.signature_info.signature_algorithm !== SIGNATURE_ALGORITHM) continue;
    if (s.signature && verifies(bin, s.signature, publicKey)) return "verified";
  }
  return { error: `${EXPORT_SIG}: no signature verifies with the configured key server public key (the file was altered, or another server signed it)` };
}

/** Whether `signature` (X9.62 DER) is an ECDSA/SHA-256 signature of `data` under `publicKey`. */
function verifies(data: Uint8Array, signature: Uint8Array, publicKey: KeyObject): boolean {
  try {
    return verify("sha256", data, publicKey, signature);
  } catch {
    return false; // not DER at all
  }
}
