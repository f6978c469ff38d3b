/**
 * How Espruino prints values on its console: `print`/`console.log` join their arguments with spaces, strings
 * as they are and anything else in its JSON-like form; uncaught exceptions print as "Uncaught Error: message".
 */
import { types } from "node:util";

/** One argument of `print` as Espruino shows it (strings as they are). */
export function formatValue(value: unknown): string {
  return typeof value === "string" ? value : inspect(value, new Set());
}

/** A value as the REPL shows a result (strings quoted). */
export function formatResult(value: unknown): string {
  return inspect(value, new Set());
}

/** The whole line `print(...args)` outputs. */
export function formatPrint(args: readonly unknown[]): string {
  return args.map(formatValue).join(" ");
}

/** The line Espruino prints for an exception nobody caught. */
export function formatUncaught(error: unknown): string {
  if (isErrorLike(error)) return `Uncaught ${error.name}: ${error.message}`;
  return `Uncaught ${inspect(error, new Set())}`;
}

function isErrorLike(value: unknown): value is { name: string; message: string } {
  return types.isNativeError(value) || (typeof value === "object" && value !== null && "message" in value && "name" in value);
}

function inspect(value: unknown, seen: Set<object>): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (typeof value === "function") return "function () { ... }";
  if (typeof value !== "object") return String(value);
  if (seen.has(value)) return "{ ... }";
  seen.add(value);
  try {
    if (isErrorLike(value)) return `${value.name}: ${value.message}`;
    if (types.isArrayBuffer(value)) return `new ArrayBuffer([${Array.from(new Uint8Array(value)).join(", ")}])`;
    if (ArrayBuffer.isView(value)) {
      const name = Object.prototype.toString.call(value).slice(8, -1);
      return `new ${name}([${Array.from(value as unknown as ArrayLike<number>).join(", ")}])`;
    }
    if (Array.isArray(value)) return `[ ${value.map((item) => inspect(item, seen)).join(", ")} ]`.replace("[  ]", "[ ]");
    const fields = Object.keys(value).map((key) => `${JSON.stringify(key)}: ${inspect((value as Record<string, unknown>)[key], seen)}`);
    return fields.length ? `{ ${fields.join(", ")} }` : "{ }";
  } finally {
    seen.delete(value);
  }
}
